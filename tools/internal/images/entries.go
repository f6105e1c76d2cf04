package images

import (
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// buildDate in an ldflags value is replaced by the image's created time
// (SOURCE_DATE_EPOCH), so version output stays reproducible.
const buildDate = "${BUILD_DATE}"

// busyboxApplets are the commands the cluster's shell snippets run: the
// local-path-provisioner helper scripts (mkdir -m, rm -rf), kube-router's
// install-cni init container (set, for, [ -x ], cp, mv, ls -la, echo) and
// what a person debugging with `kubectl exec` reaches for first. The
// builder checks each against `busybox --list`.
var busyboxApplets = []string{
	"[", "[[", "ash", "cat", "chmod", "chown", "cp", "cut", "date", "df", "du", "echo", "env",
	"false", "find", "grep", "head", "hostname", "id", "ln", "ls", "mkdir", "mv", "nslookup",
	"printf", "ps", "pwd", "readlink", "rm", "rmdir", "sed", "sh", "sleep", "sort", "stat",
	"tail", "tar", "tee", "test", "timeout", "touch", "tr", "true", "uname", "wc", "wget",
}

func busybox() Image {
	files := []File{{Path: "/bin", Mode: 0o755, Dir: true}, tmpDir}
	for _, a := range busyboxApplets {
		files = append(files, File{Path: "/bin/" + a, Mode: 0o777, Link: "busybox"})
	}
	return Image{
		Name: "busybox", Tag: versions.BusyboxImageTag,
		Debian: &DebianFiles{
			Packages: []Pin{{"busybox-static", versions.DebianBusybox}},
			Copy:     map[string]string{"/bin/busybox": "/bin/busybox"},
		},
		Files:  files,
		Config: Config{Cmd: []string{"sh"}, Env: []string{defaultPath}},
	}
}

// iptablesNames are what kube-router (and go-iptables) exec; each is a
// link to the wrapper, which points them at the node's backend.
var iptablesNames = []string{
	"iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore",
}

func kubeRouter() Image {
	mod := versions.Module{Path: "github.com/cloudnativelabs/kube-router/v2", Version: versions.KubeRouter}
	var links []string
	for _, n := range iptablesNames {
		links = append(links, "/usr/sbin/"+n)
	}
	return Image{
		Name: "kube-router", Tag: versions.KubeRouter,
		Go: []GoProgram{
			{
				Mode: Wrapper, Module: mod, Package: mod.Path + "/cmd/kube-router", Dest: "/usr/local/bin/kube-router",
				Ldflags: []string{
					"-X " + mod.Path + "/pkg/version.Version=" + versions.KubeRouter,
					"-X " + mod.Path + "/pkg/version.BuildDate=" + buildDate,
				},
				Raise: append(kubeRouterRaises, K8sRaise("api", "apimachinery", "client-go", "cri-api")...),
			},
			{
				// The same wrapper kube-proxy uses in the node image: both
				// then pick the backend that holds kubelet's hint chains.
				Mode: Local, Package: "./tools/internal/nodeimage/cmd/iptables-wrapper",
				Dest: "/usr/sbin/iptables-wrapper", Links: links,
			},
		},
		Debian: &DebianFiles{
			Packages: []Pin{
				{"iptables", versions.DebianIptables}, {"ipset", versions.DebianIpset},
				{"kmod", versions.DebianKmod}, {"conntrack", versions.DebianConntrack},
				{"iproute2", versions.DebianIproute2}, {"netbase", "6.4"},
			},
			Paths: []string{
				"/usr/sbin/xtables-nft-multi", "/usr/sbin/xtables-legacy-multi",
				"/usr/sbin/iptables-nft*", "/usr/sbin/ip6tables-nft*",
				"/usr/sbin/iptables-legacy*", "/usr/sbin/ip6tables-legacy*",
				"/usr/lib/x86_64-linux-gnu/xtables", // match and target extensions, dlopen()ed
				"/usr/sbin/ipset", "/usr/sbin/conntrack",
				"/usr/bin/kmod", "/usr/sbin/modprobe", "/usr/sbin/lsmod",
				"/usr/bin/ip",
				"/etc/protocols", "/etc/services",
			},
			Optional: []string{"/usr/sbin/ip", "/etc/iproute2", "/usr/share/iproute2", "/etc/ethertypes"},
		},
		Files: append(mergedUsr(),
			tmpDir,
			File{Path: "/run", Mode: 0o755, Dir: true},
			File{Path: "/root", Mode: 0o700, Dir: true},
			File{Path: "/var/lib/gobgp", Mode: 0o755, Dir: true},
			File{Path: "/etc/nsswitch.conf", Mode: 0o644, Content: "hosts: files dns\n"},
		),
		Config: Config{
			Entrypoint: []string{"/usr/local/bin/kube-router"},
			Env:        []string{defaultPath},
			WorkingDir: "/root",
		},
	}
}

// kubeRouterRaises are the dependencies of kube-router v2.1.0 raised for
// reported security flaws: the newest versions that still compile with it
// (x/net: HTTP/2 CONTINUATION flood, html and proxy fixes; grpc and
// protobuf: token logging and protojson loops; docker client: the 25.0
// line's last fixes; gobgp: BGP message parsing panics; k8s.io: the last
// 0.29 patch release, since raised to versions.K8sLibraries, which it
// compiles with: one build of those libraries for every image). See the
// package documentation for what was checked and how.
var kubeRouterRaises = []versions.Module{
	{Path: "github.com/aws/aws-sdk-go", Version: "v1.55.8"},
	{Path: "github.com/docker/docker", Version: "v25.0.6+incompatible"},
	{Path: "github.com/osrg/gobgp/v3", Version: "v3.37.0"},
	{Path: "github.com/vishvananda/netlink", Version: "v1.3.1"},
	{Path: "golang.org/x/crypto", Version: "v0.59.0"},
	{Path: "golang.org/x/net", Version: "v0.62.0"},
	{Path: "golang.org/x/oauth2", Version: "v0.38.0"},
	{Path: "golang.org/x/sys", Version: "v0.50.0"},
	{Path: "golang.org/x/text", Version: "v0.44.0"},
	{Path: "google.golang.org/grpc", Version: "v1.85.0"},
	{Path: "google.golang.org/protobuf", Version: "v1.36.12"},
}

func metricsServer() Image {
	mod := versions.Module{Path: "sigs.k8s.io/metrics-server", Version: versions.MetricsServer}
	const v = "k8s.io/client-go/pkg/version."
	return Image{
		Name: "metrics-server", Tag: versions.MetricsServer,
		Go: []GoProgram{{
			Mode: InModule, Module: mod, Package: "./cmd/metrics-server", Dest: "/metrics-server",
			Ldflags: []string{"-X " + v + "gitVersion=" + versions.MetricsServer, "-X " + v + "buildDate=" + buildDate},
			Raise:   K8sRaise("api", "apimachinery", "apiserver", "client-go", "component-base", "metrics"),
		}},
		Files: []File{tmpDir},
		// Upstream's user; the Deployment runs it as 1000.
		Config: Config{User: "65534:65534", Entrypoint: []string{"/metrics-server"}},
	}
}

func localPathProvisioner() Image {
	mod := versions.Module{Path: "github.com/rancher/local-path-provisioner", Version: versions.LocalPathProvisioner}
	return Image{
		Name: "local-path-provisioner", Tag: versions.LocalPathProvisioner,
		Go: []GoProgram{{
			Mode: InModule, Module: mod, Package: ".", Dest: "/usr/bin/local-path-provisioner",
			Ldflags: []string{"-X main.VERSION=" + versions.LocalPathProvisioner},
			Raise:   K8sRaise("api", "apimachinery", "client-go"),
		}},
		Files: []File{tmpDir},
		// The Deployment's command names the binary without a path.
		Config: Config{User: nonRoot, Cmd: []string{"local-path-provisioner"}, Env: []string{defaultPath}},
	}
}

func traefik() Image {
	mod := versions.Module{Path: "github.com/traefik/traefik/v3", Version: versions.Traefik}
	const v = "github.com/traefik/traefik/v3/pkg/version."
	return Image{
		Name: "traefik", Tag: versions.Traefik,
		Go: []GoProgram{{
			Mode: InModule, Module: mod, Package: "./cmd/traefik", Dest: "/traefik",
			Ldflags: []string{"-X " + v + "Version=" + versions.Traefik, "-X " + v + "BuildDate=" + buildDate},
			Raise:   K8sRaise("api", "apiextensions-apiserver", "apimachinery", "client-go"),
		}},
		Files: []File{tmpDir},
		// The Deployment gives args only: the entrypoint is the binary.
		Config: Config{User: nonRoot, Entrypoint: []string{"/traefik"}},
	}
}

// Postgres layout: Debian's, so the binaries find their share and lib
// directories relative to themselves.
const (
	pgBin   = "/usr/lib/postgresql/15/bin"
	pgData  = "/var/lib/postgresql/data/pgdata"
	pgUser  = 999
	pgEntry = "/usr/local/bin/postgres-entrypoint"
)

func postgres() Image {
	return Image{
		Name: "postgres", Tag: versions.PostgresImageTag,
		Go: []GoProgram{{Mode: Local, Package: "./tools/internal/images/cmd/pgentry", Dest: pgEntry}},
		Debian: &DebianFiles{
			Packages: []Pin{
				{"postgresql-15", versions.DebianPostgres}, {"postgresql-client-15", versions.DebianPostgres},
				{"libpq5", versions.DebianPostgres},
			},
			Paths: []string{
				pgBin, "/usr/lib/postgresql/15/lib", "/usr/share/postgresql/15",
				"/usr/share/zoneinfo",    // built --with-system-tzdata
				"/usr/lib/locale/C.utf8", // initdb --locale=C.UTF-8
				// initdb runs postgres --boot and its checks through
				// popen(), which needs /bin/sh (Debian's: dash).
				"/usr/bin/sh",
				// initdb lists the system's locales with `locale -a`.
				"/usr/bin/locale",
			},
			Exclude: []string{
				// JIT: llvmjit.so pulls in libLLVM (over 100 MB); without
				// it the server runs with jit unavailable.
				"/usr/lib/postgresql/15/lib/llvmjit*", "/usr/lib/postgresql/15/lib/bitcode",
				"/usr/share/postgresql/15/man",
			},
		},
		Files: append(mergedUsr(),
			tmpDir,
			File{Path: "/etc/passwd", Mode: 0o644, Content: "root:x:0:0:root:/root:/bin/false\n" +
				"postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/false\n" +
				"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
			File{Path: "/etc/group", Mode: 0o644, Content: "root:x:0:\npostgres:x:999:\nnogroup:x:65534:\n"},
			// Sticky and world-writable like /tmp: podman's --tmpfs copies
			// the mode but not the owner of an image directory onto the
			// tmpfs (Kubernetes' emptyDir is 0777 anyway).
			File{Path: "/var/run/postgresql", Mode: 0o1777, UID: pgUser, GID: pgUser, Dir: true},
			File{Path: "/var/lib/postgresql", Mode: 0o755, UID: pgUser, GID: pgUser, Dir: true},
			File{Path: "/var/lib/postgresql/data", Mode: 0o700, UID: pgUser, GID: pgUser, Dir: true},
		),
		Config: Config{
			User:       "999:999",
			Entrypoint: []string{pgEntry},
			Env: []string{
				"PATH=" + pgBin + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"PGDATA=" + pgData, "LANG=C.UTF-8",
			},
			WorkingDir: "/var/lib/postgresql",
			// SIGINT is postgres' fast shutdown: it ends sessions and
			// checkpoints within the pod's grace period; SIGTERM (smart)
			// would wait for every client (the app's pool) to leave.
			StopSignal:   "SIGINT",
			ExposedPorts: []string{"5432/tcp"},
		},
	}
}

// mergedUsr are Debian bookworm's top-level links into /usr: ELF
// interpreters (/lib64/ld-linux-x86-64.so.2) and absolute symlinks such
// as modprobe -> /bin/kmod go through them.
func mergedUsr() []File {
	return []File{
		{Path: "/bin", Mode: 0o777, Link: "usr/bin"},
		{Path: "/sbin", Mode: 0o777, Link: "usr/sbin"},
		{Path: "/lib", Mode: 0o777, Link: "usr/lib"},
		{Path: "/lib64", Mode: 0o777, Link: "usr/lib64"},
	}
}

// kindLoadBalancer is what kind runs as docker.io/envoyproxy/envoy for a
// cluster with several control planes: tools/internal/kindlb's `envoy`
// serves kind's Envoy files with haproxy. kind's own commands in it are
// the bootstrap (`bash -c 'mkdir -p ... && echo -en ... > ... && while
// true; do envoy -c ...; sleep 1; done'`) and the configuration writes
// (mkdir -p, cp /dev/stdin, sh -c "chmod ... && mv ..."), run as the
// image's user, which owns /home/envoy.
func kindLoadBalancer() Image {
	const envoyUser = 101
	return Image{
		Name: "kind-loadbalancer", Tag: versions.KindLoadBalancerTag, Host: true,
		Go: []GoProgram{{Mode: Local, Package: "./tools/internal/kindlb/cmd/envoy", Dest: "/usr/local/bin/envoy"}},
		Debian: &DebianFiles{
			Packages: []Pin{{"haproxy", versions.DebianHAProxy}},
			Paths: []string{
				"/usr/sbin/haproxy", "/usr/bin/bash", "/usr/bin/sh",
				"/usr/bin/mkdir", "/usr/bin/cp", "/usr/bin/chmod", "/usr/bin/mv", "/usr/bin/sleep", "/usr/bin/cat",
			},
		},
		Files: append(mergedUsr(),
			tmpDir,
			File{Path: "/etc/passwd", Mode: 0o644, Content: "root:x:0:0:root:/root:/bin/false\n" +
				"envoy:x:101:101:kind load balancer:/home/envoy:/bin/false\n"},
			File{Path: "/etc/group", Mode: 0o644, Content: "root:x:0:\nenvoy:x:101:\n"},
			File{Path: "/home", Mode: 0o755, Dir: true},
			File{Path: "/home/envoy", Mode: 0o755, UID: envoyUser, GID: envoyUser, Dir: true},
		),
		Config: Config{
			User: "101:101", Env: []string{defaultPath}, WorkingDir: "/home/envoy",
			// kind passes its own command; this is the same without the loop.
			Cmd: []string{"/usr/local/bin/envoy", "-c", "/home/envoy/envoy.yaml"},
			// PID 1 is kind's bash loop, which ignores SIGTERM: stopping
			// the container would wait out podman's timeout for nothing.
			StopSignal: "SIGKILL", ExposedPorts: []string{"6443/tcp"},
		},
	}
}
