package nodeimage

import (
	"fmt"
	"strings"
)

// kubeBuildInfo is what Kubernetes binaries report about themselves
// (kubelet --version, kubectl version, the node's kubeletVersion, the
// apiserver's /version, and the binary version behind compatibility
// versions). Without it they say v0.0.0-master+$Format:%H$.
type kubeBuildInfo struct {
	GitVersion   string // v1.34.4
	GitMajor     string // 1
	GitMinor     string // 34
	GitCommit    string // empty: the module proxy does not say which commit a tag is
	GitTreeState string // clean: built from the release's published module, unmodified
	BuildDate    string // the tag's time from the module proxy, so builds repeat
}

// newKubeBuildInfo derives the version fields the way hack/lib/version.sh
// does for a release tag.
func newKubeBuildInfo(gitVersion, buildDate string) (kubeBuildInfo, error) {
	parts := strings.SplitN(strings.TrimPrefix(gitVersion, "v"), ".", 3)
	if !strings.HasPrefix(gitVersion, "v") || len(parts) != 3 {
		return kubeBuildInfo{}, fmt.Errorf("kubernetes version %q: want vMAJOR.MINOR.PATCH", gitVersion)
	}
	return kubeBuildInfo{
		GitVersion: gitVersion, GitMajor: parts[0], GitMinor: parts[1],
		GitTreeState: "clean", BuildDate: buildDate,
	}, nil
}

// strippedLdflags drop the symbol table, DWARF and build ID: the node
// image carries the Kubernetes binary three times (node, image layer,
// unpacked snapshot), and an empty build ID keeps builds byte-identical.
var strippedLdflags = []string{"-s", "-w", "-buildid="}

// kubeLdflags stamps both version packages, as kube::version::ldflags does.
func kubeLdflags(v kubeBuildInfo) []string {
	flags := append([]string(nil), strippedLdflags...)
	for _, pkg := range []string{"k8s.io/client-go/pkg/version", "k8s.io/component-base/version"} {
		for _, kv := range [][2]string{
			{"buildDate", v.BuildDate},
			{"gitCommit", v.GitCommit},
			{"gitTreeState", v.GitTreeState},
			{"gitVersion", v.GitVersion},
			{"gitMajor", v.GitMajor},
			{"gitMinor", v.GitMinor},
		} {
			flags = append(flags, "-X", pkg+"."+kv[0]+"="+kv[1])
		}
	}
	return flags
}

// versionLdflags stamps one string variable, for etcd, CoreDNS and crictl.
func versionLdflags(variable, value string) []string {
	flags := append([]string(nil), strippedLdflags...)
	if value != "" {
		flags = append(flags, "-X", variable+"="+value)
	}
	return flags
}
