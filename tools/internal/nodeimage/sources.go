package nodeimage

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// aptSource is one deb entry of an apt sources file.
type aptSource struct {
	URI    string
	Suites []string
}

// parseAptSources reads deb entries from a one-line (.list) or deb822
// (.sources) file. deb-src, disabled (Enabled: no) and commented entries
// are skipped.
func parseAptSources(name, content string) []aptSource {
	if strings.HasSuffix(name, ".sources") {
		return parseDeb822(content)
	}
	var out []aptSource
	sc := bufio.NewScanner(strings.NewReader(content))
	for sc.Scan() {
		f := strings.Fields(strings.TrimSpace(sc.Text()))
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		if strings.HasPrefix(f[1], "[") { // options: [signed-by=... arch=...]
			for len(f) > 1 && !strings.HasSuffix(f[1], "]") {
				f = slices.Delete(f, 1, 2)
			}
			f = slices.Delete(f, 1, 2)
		}
		if len(f) >= 3 {
			out = append(out, aptSource{URI: f[1], Suites: []string{f[2]}})
		}
	}
	return out
}

func parseDeb822(content string) []aptSource {
	var out []aptSource
	for _, stanza := range strings.Split(strings.ReplaceAll(content, "\r", ""), "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(stanza, "\n") {
			if strings.HasPrefix(line, "#") {
				continue
			}
			if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, " ") {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if !slices.Contains(strings.Fields(fields["types"]), "deb") || strings.EqualFold(fields["enabled"], "no") {
			continue
		}
		for _, uri := range strings.Fields(fields["uris"]) {
			out = append(out, aptSource{URI: uri, Suites: strings.Fields(fields["suites"])})
		}
	}
	return out
}

// debianMirrors are the archive and security mirrors the node's rootfs is
// built from.
type debianMirrors struct {
	Archive  string // serves <suite> and <suite>-updates
	Security string // serves <suite>-security; empty when the host has none
}

// pickDebianMirrors chooses, from the host's sources, the first http(s)
// entry serving suite and the first serving suite-security: whatever
// reaches Debian from this host (a proxy or local mirror works the same).
func pickDebianMirrors(sources []aptSource, suite string) (debianMirrors, error) {
	var m debianMirrors
	for _, s := range sources {
		if !strings.HasPrefix(s.URI, "http://") && !strings.HasPrefix(s.URI, "https://") {
			continue
		}
		if m.Archive == "" && slices.Contains(s.Suites, suite) {
			m.Archive = strings.TrimRight(s.URI, "/")
		}
		if m.Security == "" && slices.Contains(s.Suites, suite+"-security") {
			m.Security = strings.TrimRight(s.URI, "/")
		}
	}
	if m.Archive == "" {
		return m, fmt.Errorf("no apt source on this host serves Debian %s (looked in /etc/apt/sources.list and sources.list.d)", suite)
	}
	return m, nil
}

// hostAptSources reads every enabled sources file of this host. Files
// with other suffixes (such as .disabled) are not read, as apt does not.
func hostAptSources() ([]aptSource, error) {
	files := []string{"/etc/apt/sources.list"}
	for _, pat := range []string{"/etc/apt/sources.list.d/*.list", "/etc/apt/sources.list.d/*.sources"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	var out []aptSource
	for _, f := range files {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("failed to read apt sources: %w", err)
		}
		out = append(out, parseAptSources(f, string(b))...)
	}
	return out, nil
}

// chrootSources is the rootfs's /etc/apt/sources.list.d/debian.sources:
// the suite, its updates and its security fixes, so `apt-get upgrade`
// in the rootfs takes the current point release and security updates.
func chrootSources(m debianMirrors, suite string) string {
	const keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
	s := fmt.Sprintf("Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: %s\n", m.Archive, suite, suite, keyring)
	if m.Security != "" {
		s += fmt.Sprintf("\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: %s\n", m.Security, suite, keyring)
	}
	return s
}
