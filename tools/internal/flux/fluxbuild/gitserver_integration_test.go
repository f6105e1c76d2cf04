package fluxbuild

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
)

// The git server image as a podman container, on a network of the test's
// own (the cluster's `kind` network and port may be in use): push with the
// writer, clone with the reader, reuse a healthy container, replace a
// stopped one without losing the repository, remove everything.
func TestIntegrationGitServerContainer(t *testing.T) {
	res := buildAll(t)
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("needs podman")
	}
	ctx := context.Background()
	const network = "parallel-poc-gitserver-test"
	exec.Command("podman", "network", "rm", "-f", network).Run()
	command(t, "podman", "network", "create", "--subnet", "10.89.250.0/24", network)
	t.Cleanup(func() { exec.Command("podman", "network", "rm", "-f", network).Run() })

	c := gitserver.New(t.TempDir(), res.GitServer.File, res.GitServer.ImageID)
	c.Name, c.Volume, c.Network, c.IP, c.Port = "parallel-poc-gitserver-test", "parallel-poc-gitserver-test", network, "10.89.250.100", 18418
	t.Cleanup(func() { c.Remove(ctx) })

	st, err := c.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reused {
		t.Fatal("a fresh container was reported reused")
	}
	creds, err := gitserver.EnsureCredentials(c.StateDir, c.Port)
	if err != nil {
		t.Fatal(err)
	}

	// The push hook, end to end inside the container: a stand-in API
	// server on the network's gateway records the reconcile request.
	patched := make(chan string, 4)
	ln, err := net.Listen("tcp", "10.89.250.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch && r.URL.Path == "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/flux-system" {
			patched <- r.Header.Get("Authorization")
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"GitRepository","metadata":{"name":"flux-system","namespace":"flux-system"}}`)
			return
		}
		http.NotFound(w, r)
	})}
	cert, caPEM := selfSigned(t, net.ParseIP("10.89.250.1"))
	api.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	go api.ServeTLS(ln, "", "")
	t.Cleanup(func() { api.Close() })
	// client-go sends a token only over TLS.
	kubeconfig, err := gitserver.HookKubeconfig("https://"+ln.Addr().String(), caPEM, "hook-token")
	if err != nil {
		t.Fatal(err)
	}
	kfile := filepath.Join(c.StateDir, "etc", "kubeconfig")
	if err := os.WriteFile(kfile, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(kfile, gitserver.UID, gitserver.UID); err != nil {
		t.Fatal(err)
	}

	work := t.TempDir()
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "credential.helper=store --file=" + creds.GitCredentials}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t.invalid")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git(work, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(work, "a.yaml"), []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(work, "add", "a.yaml")
	git(work, "commit", "-q", "-m", "first")
	head := git(work, "rev-parse", "HEAD")
	pushed := time.Now()
	git(work, "push", "-q", c.HostURL(), "HEAD:refs/heads/main")
	select {
	case auth := <-patched:
		t.Logf("reconcile requested %s after the push started", time.Since(pushed).Round(time.Millisecond))
		if auth != "Bearer hook-token" {
			t.Errorf("reconcile request authorised with %q", auth)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("no reconcile request within 10s of the push:\n%s", command(t, "podman", "logs", c.Name))
	}

	reader := func() string {
		u, _ := url.Parse(c.HostURL())
		u.User = url.UserPassword(creds.Reader.User, creds.Reader.Password)
		return u.String()
	}()
	clone := t.TempDir()
	git(clone, "clone", "-q", reader, "c")
	if got := git(filepath.Join(clone, "c"), "rev-parse", "HEAD"); got != head {
		t.Fatalf("clone at %s, pushed %s", got, head)
	}
	logs := command(t, "podman", "logs", c.Name)
	if !strings.Contains(logs, "push received") || !strings.Contains(logs, "reconciliation requested") {
		t.Errorf("server log lacks the push and the reconcile request:\n%s", logs)
	}

	if st, err := c.Ensure(ctx); err != nil || !st.Reused {
		t.Fatalf("second Ensure: %+v %v, want reused", st, err)
	}
	command(t, "podman", "stop", "--time", "2", c.Name)
	st, err = c.Ensure(ctx)
	if err != nil || st.Replaced != "it was not running" {
		t.Fatalf("Ensure after stop: %+v %v", st, err)
	}
	clone2 := t.TempDir()
	git(clone2, "clone", "-q", reader, "c")
	if got := git(filepath.Join(clone2, "c"), "rev-parse", "HEAD"); got != head {
		t.Fatalf("repository lost across replacement: %s", got)
	}

	if err := c.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"container", "exists", c.Name}, {"volume", "exists", c.Volume}} {
		if exec.Command("podman", args...).Run() == nil {
			t.Errorf("left behind: podman %s", strings.Join(args, " "))
		}
	}
}

// selfSigned is a serving certificate for ip, its own CA.
func selfSigned(t *testing.T, ip net.IP) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake-apiserver"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{ip}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
