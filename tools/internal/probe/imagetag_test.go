package probe

import (
	"strings"
	"testing"
)

const overlay = `# comment kept
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
images:
  # also kept
  - name: ghcr.io/parallel-poc/webapp
    newName: localhost/parallel-poc/webapp
  - name: ghcr.io/parallel-poc/postgres
    newName: localhost/parallel-poc/postgres
    newTag: "15.20"
`

func TestSetImageTagAddsAndReplaces(t *testing.T) {
	out, err := SetImageTag([]byte(overlay), "localhost/parallel-poc/webapp", "v2.0")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"# comment kept", "# also kept", "newTag: v2.0", `newTag: "15.20"`} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if i, j := strings.Index(s, "webapp"), strings.Index(s, "v2.0"); j < i || j > strings.Index(s, "postgres") {
		t.Errorf("v2.0 not set on the webapp entry:\n%s", s)
	}
	again, err := SetImageTag(out, "localhost/parallel-poc/webapp", "v1.0")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(again), "v2.0") || !strings.Contains(string(again), "newTag: v1.0") {
		t.Errorf("tag not replaced:\n%s", again)
	}
}

func TestSetImageTagNamesWhatItFound(t *testing.T) {
	_, err := SetImageTag([]byte(overlay), "example.com/other", "v2.0")
	if err == nil || !strings.Contains(err.Error(), "localhost/parallel-poc/postgres") {
		t.Fatalf("want an error listing the entries, got %v", err)
	}
	if _, err := SetImageTag([]byte("kind: Kustomization\n"), "x", "y"); err == nil {
		t.Fatal("want an error for a kustomization without images")
	}
}

func TestSplitImage(t *testing.T) {
	for ref, want := range map[string][2]string{
		"localhost/parallel-poc/webapp:v1.0": {"localhost/parallel-poc/webapp", "v1.0"},
		"localhost:5000/webapp":              {"localhost:5000/webapp", ""},
		"busybox@sha256:abc":                 {"busybox", ""},
	} {
		if r, tag := SplitImage(ref); r != want[0] || tag != want[1] {
			t.Errorf("SplitImage(%q) = %q, %q; want %q", ref, r, tag, want)
		}
	}
}
