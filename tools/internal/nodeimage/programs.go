package nodeimage

import (
	"fmt"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// kubeProgram is the multi-call Kubernetes binary.
func kubeProgram(kubeVersion string, kubeGoMod []byte, tagTime string) (goProgram, error) {
	info, err := parseKubernetesGoMod(kubeGoMod)
	if err != nil {
		return goProgram{}, err
	}
	goMod, err := kubernetesWrapperGoMod("parallel-poc.local/"+multicallName, kubeVersion, info)
	if err != nil {
		return goProgram{}, err
	}
	main, err := multicallSource(kubeVersion)
	if err != nil {
		return goProgram{}, err
	}
	bi, err := newKubeBuildInfo(kubeVersion, tagTime)
	if err != nil {
		return goProgram{}, err
	}
	return goProgram{
		Name:    multicallName,
		Files:   map[string]string{"go.mod": goMod, "main.go": main},
		Package: ".",
		Ldflags: kubeLdflags(bi),
	}, nil
}

// etcdProgram is etcd's server: the release's main is etcdmain.Main.
func etcdProgram(m versions.Module, goVersion string) goProgram {
	return goProgram{
		Name: "etcd",
		Files: map[string]string{
			"go.mod": simpleGoMod("parallel-poc.local/etcd", goVersion, m.Path, m.Version),
			"main.go": generatedHeader + `
// Command etcd is etcd ` + m.Version + `'s server, as its release builds it.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
`,
		},
		Package: ".",
		Ldflags: strippedLdflags,
	}
}

// corednsProgram is CoreDNS with the release's plugin set (core/plugin is
// generated from its plugin.cfg). It keeps its own Kubernetes libraries
// (v0.32): its kubernetes plugin sets cache.Config.RetryOnError, which
// client-go v0.34 (versions.K8sLibraries) no longer has.
func corednsProgram(m versions.Module, goVersion, commit string) goProgram {
	return goProgram{
		Name: "coredns",
		Files: map[string]string{
			"go.mod": simpleGoMod("parallel-poc.local/coredns", goVersion, m.Path, m.Version),
			"main.go": generatedHeader + `
// Command coredns is CoreDNS ` + m.Version + ` with its default plugins.
package main

import (
	_ "github.com/coredns/coredns/core/plugin" // the release's plugin set
	"github.com/coredns/coredns/coremain"
)

func main() { coremain.Run() }
`,
		},
		Package: ".",
		Ldflags: versionLdflags("github.com/coredns/coredns/coremain.GitCommit", commit),
	}
}

// crictlProgram is crictl, built from its own module and go.mod.
func crictlProgram(m versions.Module, goVersion string) goProgram {
	return goProgram{
		Name: "crictl",
		Files: map[string]string{
			"go.mod": simpleGoMod("parallel-poc.local/crictl", goVersion, m.Path, m.Version,
				"api", "apimachinery", "cli-runtime", "client-go", "component-base", "cri-api", "cri-client", "kubectl", "kubelet"),
			// tools.go keeps the requirement alive through go mod tidy.
			"tools.go": generatedHeader + `
//go:build tools

package tools

import _ "` + m.Path + `/cmd/crictl"
`,
		},
		Package: m.Path + "/cmd/crictl",
		Ldflags: versionLdflags(m.Path+"/pkg/version.Version", m.Version),
	}
}

// helperPrograms are the pause and iptables-wrapper commands, whose
// sources live in this package (cmd/) and are embedded into it.
func helperPrograms(goVersion string) ([]goProgram, error) {
	files := map[string]string{
		"go.mod": fmt.Sprintf("%smodule parallel-poc.local/nodeimage-helpers\n\ngo %s\n", generatedHeader, goVersion),
	}
	if err := addEmbeddedSources(files); err != nil {
		return nil, err
	}
	var out []goProgram
	for _, name := range []string{"pause", "iptables-wrapper"} {
		out = append(out, goProgram{Name: name, Files: files, Package: "./" + name, Ldflags: strippedLdflags})
	}
	return out, nil
}
