package nodeimage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// moduleInfo is what `go mod download -json` says about a pinned module.
type moduleInfo struct {
	Path, Version string
	Dir           string // extracted source in the module cache
	GoMod         string // path of its go.mod
	Info          string // path of its .info, which holds Time
	Time          string // the version's commit time, from Info
	Origin        struct{ Hash string }
}

// downloadModule fetches m into the module cache (from the proxy, once)
// and describes it.
func downloadModule(ctx context.Context, goCmd string, m versions.Module) (moduleInfo, error) {
	out, err := run(ctx, command{Name: goCmd, Args: []string{"mod", "download", "-json", m.String()}, Env: []string{"GOFLAGS=", "GOWORK=off"}})
	if err != nil {
		return moduleInfo{}, fmt.Errorf("failed to download %s: %w", m, err)
	}
	var info moduleInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return moduleInfo{}, fmt.Errorf("failed to read go mod download output for %s: %w", m, err)
	}
	if info.Dir == "" || info.Info == "" {
		return moduleInfo{}, fmt.Errorf("go mod download %s: no source directory or info file in %s", m, out)
	}
	b, err := os.ReadFile(info.Info)
	if err != nil {
		return moduleInfo{}, fmt.Errorf("failed to read version info of %s: %w", m, err)
	}
	var versionInfo struct{ Time string }
	if err := json.Unmarshal(b, &versionInfo); err != nil || versionInfo.Time == "" {
		return moduleInfo{}, fmt.Errorf("version info of %s has no time: %s", m, b)
	}
	info.Time = versionInfo.Time
	return info, nil
}

// goDirectiveOf returns the version in a go.mod's go directive.
func goDirectiveOf(goModPath string) (string, error) {
	b, err := os.ReadFile(goModPath)
	if err != nil {
		return "", fmt.Errorf("failed to read go.mod: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if m := goDirective.FindStringSubmatch(sc.Text()); m != nil {
			return m[1], nil
		}
	}
	return "", fmt.Errorf("%s: no go directive", goModPath)
}
