package nodeimage

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/hostsetup"
	"golang.org/x/sys/unix"
)

// replaceLine replaces the one line equal to old (ignoring surrounding
// space) with repl (several lines, or none to delete it). Zero or several
// matches are errors: kind's file changed and the patch needs a look.
func replaceLine(text, old string, repl ...string) (string, error) {
	lines := strings.Split(text, "\n")
	at := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == old {
			if at >= 0 {
				return "", fmt.Errorf("line %q appears more than once", old)
			}
			at = i
		}
	}
	if at < 0 {
		return "", fmt.Errorf("line %q not found", old)
	}
	indent := lines[at][:len(lines[at])-len(strings.TrimLeft(lines[at], " \t"))]
	var out []string
	out = append(out, lines[:at]...)
	for _, r := range repl {
		out = append(out, indent+r)
	}
	out = append(out, lines[at+1:]...)
	return strings.Join(out, "\n"), nil
}

var sandboxImageLine = regexp.MustCompile(`(?m)^(\s*)sandbox_image = "[^"]*"$`)

// patchContainerdConfig adapts kind's /etc/containerd/config.toml:
//   - version = 2 stays: Debian's containerd 1.6 reads only version 2 (kind
//     v0.33 also writes 2; containerd 2.x converts it on load);
//   - the sandbox image is the pause tag kubeadm uses, which the image
//     preloads (containerd would otherwise try to pull kind's older tag);
//   - restrict_oom_score_adj = true, because without CAP_SYS_RESOURCE in
//     the node, setting a pod's oom_score_adj below containerd's own fails
//     and so does every pod sandbox.
func patchContainerdConfig(in, pauseImage string) (string, error) {
	if !strings.Contains(in, "\nversion = 2\n") {
		return "", fmt.Errorf("kind's containerd config is not version = 2, which containerd 1.6 needs")
	}
	if n := len(sandboxImageLine.FindAllString(in, -1)); n != 1 {
		return "", fmt.Errorf("kind's containerd config: %d sandbox_image lines, want 1", n)
	}
	out := sandboxImageLine.ReplaceAllString(in, `${1}sandbox_image = "`+pauseImage+`"`)
	out, err := replaceLine(out, "restrict_oom_score_adj = false",
		"# parallel-poc: true, as for rootless kind: the node lacks CAP_SYS_RESOURCE,",
		"# so pod sandboxes cannot get an oom_score_adj below containerd's.",
		"restrict_oom_score_adj = true")
	if err != nil {
		return "", fmt.Errorf("kind's containerd config: %w", err)
	}
	return "# Patched by tools/internal/nodeimage from kind's images/base/files.\n" + out, nil
}

// patchContainerdUnit adapts kind's containerd.service to a node that has
// the host's hard limits and no CAP_SYS_RESOURCE: systemd fails a unit
// whose Limit* exceeds the hard limit (infinity always does), and cannot
// lower OOMScoreAdjust. Pods inherit containerd's limits (cri-base.json
// has no rlimits), so these become the pods' limits too.
func patchContainerdUnit(in string, l hostsetup.Limits) (string, error) {
	out, err := replaceLine(in, "LimitNPROC=infinity",
		"# parallel-poc: the host's hard limits; infinity fails the unit without CAP_SYS_RESOURCE.",
		"LimitNPROC="+systemdLimit(l.NProc))
	if err == nil {
		out, err = replaceLine(out, "LimitNOFILE=infinity", "LimitNOFILE="+systemdLimit(l.NoFile))
	}
	if err == nil {
		out, err = replaceLine(out, "OOMScoreAdjust=-999",
			"# parallel-poc: no OOMScoreAdjust; lowering it needs CAP_SYS_RESOURCE.")
	}
	if err != nil {
		return "", fmt.Errorf("kind's containerd.service: %w", err)
	}
	return out, nil
}

func systemdLimit(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "infinity"
	}
	return fmt.Sprint(v)
}
