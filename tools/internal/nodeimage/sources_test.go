package nodeimage

import (
	"fmt"
	"testing"
)

// hostDebianSources is this host's /etc/apt/sources.list.d/debian.sources.
const hostDebianSources = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`

func TestParseAptSources(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                []aptSource
	}{
		{"deb822 with comments", "debian.sources", hostDebianSources, []aptSource{
			{URI: "http://deb.debian.org/debian", Suites: []string{"bookworm", "bookworm-updates"}},
			{URI: "http://deb.debian.org/debian-security", Suites: []string{"bookworm-security"}},
		}},
		{"deb822 disabled and deb-src", "x.sources", "Types: deb-src\nURIs: http://a\nSuites: bookworm\n\nTypes: deb\nEnabled: no\nURIs: http://b\nSuites: bookworm\n", nil},
		{"one-line with options", "sources.list", "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.local/debian bookworm main\ndeb-src http://x bookworm main\ndeb https://deb.debian.org/debian-security bookworm-security main\n", []aptSource{
			{URI: "http://mirror.local/debian", Suites: []string{"bookworm"}},
			{URI: "https://deb.debian.org/debian-security", Suites: []string{"bookworm-security"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseAptSources(tt.file, tt.content)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPickDebianMirrors(t *testing.T) {
	srcs := append([]aptSource{{URI: "https://packages.cloud.google.com/apt", Suites: []string{"cloud-sdk-bookworm"}}},
		parseAptSources("debian.sources", hostDebianSources)...)
	m, err := pickDebianMirrors(srcs, "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	if m.Archive != "http://deb.debian.org/debian" || m.Security != "http://deb.debian.org/debian-security" {
		t.Errorf("got %+v", m)
	}
	if _, err := pickDebianMirrors(srcs, "trixie"); err == nil {
		t.Error("no error for a suite no source serves")
	}
	golden(t, "chroot.sources", chrootSources(m, "bookworm"))
}
