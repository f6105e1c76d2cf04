// Package certgen gives an aggregated API server (metrics-server) a serving
// certificate the kube-apiserver can verify, without cert-manager and
// without insecureSkipTLSVerify: the approach of kube-webhook-certgen,
// made safe to run as an init container of every replica.
//
// One run (Run) does, in order:
//
//  1. Read the Secret (declared empty in git). When it already holds a CA
//     and a serving certificate that verify for the Service's DNS names now
//     and still will in RenewBefore (30 days by default), reuse them
//     (NeedsRenewal). Otherwise generate an ECDSA P-256 CA (10 years) and a
//     serving certificate signed by it (1 year) (Generate), and update the
//     Secret with the resourceVersion that was read: of two pods racing,
//     exactly one update wins, and the loser re-reads and reuses the
//     winner's bundle.
//  2. Make each APIService's spec.caBundle the Secret's CA with a JSON merge
//     patch (no request when it already is). A server serving several
//     versions of its group has one APIService per version.
//  3. Re-read the Secret: if another pod replaced the bundle meanwhile, go
//     back to 1, so the last caBundle written always matches the Secret.
//  4. Write tls.crt and tls.key into the output directory (an emptyDir the
//     server container mounts), atomically.
//
// Generate, Validate and NeedsRenewal are pure (time is a parameter) and
// verify with crypto/x509 exactly as a TLS client checking the Service name
// would.
package certgen
