package verify

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
	"github.com/parallel-poc/orchestration/tools/internal/render"
)

const encStr = "ENC[AES256_GCM,data:I+SO,iv:isi5MMRCmTuRLuoVSFSj31WSY7StCNZzA99Cnx9FT3Y=,tag:M1U6EmFHurGw69KpLiqgsw==,type:str]"

func secretResource(obj map[string]any) render.Resource {
	y, _ := yaml.Marshal(obj)
	return render.Resource{ID: findings.Resource{APIVersion: "v1", Kind: "Secret", Namespace: "ns", Name: "s"}, Object: obj, YAML: y}
}

func TestSchemaDocumentIsTheDecryptedShape(t *testing.T) {
	obj := map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "s", "namespace": "ns"},
		"data": map[string]any{
			"password": encStr,
			"port":     strings.Replace(encStr, "type:str", "type:int", 1),
			"plain":    "not-encrypted",
		},
		"stringData": map[string]any{"url": encStr},
		"sops":       map[string]any{"mac": encStr},
	}
	o := secretResource(obj)
	doc, err := schemaDocument(o)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["sops"]; ok {
		t.Error("sops metadata kept: the strict Secret schema rejects it")
	}
	data := got["data"].(map[string]any)
	if b, err := base64.StdEncoding.DecodeString(data["password"].(string)); err != nil || len(b) == 0 {
		t.Errorf("data placeholder %q is not base64: %v", data["password"], err)
	}
	if data["port"] != float64(0) {
		t.Errorf("an encrypted int decrypts to a number, got %#v", data["port"])
	}
	if data["plain"] != "not-encrypted" {
		t.Errorf("a plain value was changed to %#v", data["plain"])
	}
	if s := got["stringData"].(map[string]any)["url"]; s != stringDataPlaceholder {
		t.Errorf("stringData placeholder %#v", s)
	}
	// The policies see the object as rendered.
	if obj["sops"] == nil || obj["data"].(map[string]any)["password"] != encStr || obj["stringData"].(map[string]any)["url"] != encStr {
		t.Errorf("schemaDocument changed the rendered object: %v", obj)
	}
}

func TestSchemaDocumentLeavesOthersAsRendered(t *testing.T) {
	for name, o := range map[string]render.Resource{
		"plain Secret":       secretResource(map[string]any{"kind": "Secret", "data": map[string]any{"k": encStr}}),
		"sops not a mapping": secretResource(map[string]any{"kind": "Secret", "sops": "x"}),
		"not a Secret": {ID: findings.Resource{APIVersion: "v1", Kind: "ConfigMap"}, YAML: []byte("kind: ConfigMap\n"),
			Object: map[string]any{"kind": "ConfigMap", "sops": map[string]any{}}},
	} {
		doc, err := schemaDocument(o)
		if err != nil || string(doc) != string(o.YAML) {
			t.Errorf("%s: got %q, %v, want the rendered YAML", name, doc, err)
		}
	}
}

// An encrypted Secret, as sops writes it, renders through kustomize with
// its sops metadata intact and passes every check with no key anywhere.
func TestSOPSEncryptedSecretVerifiesWithoutKey(t *testing.T) {
	v := repoVerifier(t)
	rep := run(t, "testdata/sops-encrypted")
	if len(rep.Findings) != 0 || len(rep.Targets) != 1 || rep.Targets[0].Resources != 1 {
		t.Fatalf("want one clean resource:\n%s", dump(rep))
	}

	dir, _ := filepath.Abs("testdata/sops-encrypted")
	objs, err := render.Build(v.root, dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "postgres-credentials.sops.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"sops", "data", "stringData"} {
		if !reflect.DeepEqual(objs[0].Object[field], file[field]) {
			t.Errorf("render changed %s:\n got %v\nwant %v", field, objs[0].Object[field], file[field])
		}
	}
	// As rendered, the strict schema rejects it: the decrypted view is
	// what makes it pass.
	if ps := v.schemas.Validate(objs[0].YAML); len(ps) == 0 || !strings.Contains(ps[0].Message, `unknown field "sops"`) {
		t.Errorf("want the rendered Secret to fail the schema on sops, got %v", ps)
	}
}

func TestPlainSecretFailsNamingFileAndResource(t *testing.T) {
	rep := run(t, "testdata/sops-plain")
	got := find(rep, "secret_encrypted", "Secret", "Secret parallel-poc/postgres-credentials has 2 plain-text values (password, username) in data: encrypt it with sops --encrypt --age")
	if len(got) != 1 || len(rep.Findings) != 1 {
		t.Fatalf("want exactly one secret_encrypted error:\n%s", dump(rep))
	}
	f := got[0]
	if want := (findings.Resource{Kind: "Secret", Namespace: "parallel-poc", Name: "postgres-credentials"}); f.Resource != want {
		t.Errorf("resource %+v, want %+v", f.Resource, want)
	}
	if want := "tools/internal/verify/testdata/sops-plain/secret.yaml"; !strings.HasPrefix(f.Source, want) {
		t.Errorf("source %q, want %s", f.Source, want)
	}
	if !strings.HasPrefix(f.Message, "data: ") {
		t.Errorf("message %q does not lead with the field", f.Message)
	}
}

// A sops block the schema check strips is still judged by the policy: a
// Secret with broken metadata is never silently accepted.
func TestMalformedSOPSIsReportedByThePolicy(t *testing.T) {
	v := repoVerifier(t)
	o := secretResource(map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "s", "namespace": "ns"},
		"data":     map[string]any{"password": encStr},
		"sops":     map[string]any{"version": "3.13.2"},
	})
	objs := []render.Resource{o}
	if fs := v.checkSchemas(objs); len(fs) != 0 {
		t.Errorf("schema findings on the decrypted shape: %v", fs)
	}
	var got []string
	for _, f := range v.checkPolicies(t.Context(), "", objs) {
		if f.Rule == "secret_encrypted" && f.Severity == findings.Error {
			got = append(got, f.Message)
		}
	}
	joined := strings.Join(got, "\n")
	if len(got) != 2 || !strings.Contains(joined, "without a mac") || !strings.Contains(joined, "no recipient") {
		t.Errorf("want errors for the missing mac and recipient, got:\n%s", joined)
	}
}
