// Package flux is the bring-up's Flux stage: it points the working clone
// at the git server and pushes it (EnsureRemote), installs Flux with the
// CLI built by fluxbuild (Bootstrap: `flux bootstrap git`, then Flux's
// Secret narrowed to the read-only account, then bootstrap's commit pulled
// back into the working clone), and waits until every Kustomization has
// applied the pushed commit (WaitSynced), failing with the controllers'
// own error messages: on timeout, or early once a Kustomization's attempt
// at that commit failed and its retry failed the same way (a bad HEAD).
//
// Order in the bring-up, after the CNI runs and every node is Ready and
// before anything waits on the infrastructure Kustomization:
//
//	res, _ := fluxbuild.Build(ctx, ...)             // images + CLI, cached by inputs
//	// load res.Controllers into the nodes (kind load image-archive)
//	srv := gitserver.New(gitserver.StateDir(cacheDir), res.GitServer.File, res.GitServer.ImageID)
//	srv.Ensure(ctx)                                  // on the kind network, 10.89.0.100
//	creds, _ := gitserver.EnsureCredentials(srv.StateDir, srv.Port)
//	flux.EnsureRemote(ctx, remote)                   // push HEAD to the server's main
//	head, _ := flux.Bootstrap(ctx, opts)             // flux bootstrap git, read-only Secret, pull back
//	srv.ConfigureHook(ctx, restConfig)               // push -> reconcile from now on
//	flux.WaitSynced(ctx, dyn, head, 15*time.Minute)  // every Kustomization Ready at head
//
// `make down` calls srv.Remove before the cluster is deleted: the container
// is attached to the kind network, which is removed only once unused.
//
// Conditions are read with the constants of github.com/fluxcd/pkg/apis/meta
// (v1.24.0, the newest whose go.mod asks for no newer k8s.io/apimachinery
// than this module's v0.34.4). The Kustomization and GitRepository API
// modules at v1.9.5 require k8s.io v0.36, so their objects are read
// through the dynamic client instead of typed clients.
package flux
