package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"

	"sigs.k8s.io/yaml"
)

// AppNamespace is where the workloads that read the credentials run.
const AppNamespace = "parallel-poc"

// Declared is one Secret the repository supplies and the keys it has:
// the contract with the workloads in base/ (the references policy reads
// it from tools/internal/policy/rego/data/external_secrets.json, which a
// test keeps equal to this list).
type Declared struct {
	Namespace, Name string
	Keys            []string
}

// DevKind is every Secret of the dev-kind-secrets repository.
func DevKind() []Declared {
	return []Declared{
		{AppNamespace, "postgres-credentials", []string{"password", "username"}},
		{AppNamespace, "web-app-secrets", []string{"database-url"}},
	}
}

// Credentials are the database account the app, its Jobs and PostgreSQL
// share on the dev cluster.
type Credentials struct{ User, Password string }

// NewCredentials makes a random password (192 bits, URL-safe: it is
// spliced into the database URL).
func NewCredentials() (Credentials, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return Credentials{}, fmt.Errorf("failed to make a password: %w", err)
	}
	return Credentials{User: "app", Password: base64.RawURLEncoding.EncodeToString(b)}, nil
}

// databaseURL is the app's connection string: the first member of the
// postgres-cluster StatefulSet by its stable DNS name.
func (c Credentials) databaseURL() string {
	u := url.URL{
		Scheme: "postgres", User: url.UserPassword(c.User, c.Password),
		Host: "postgres-cluster-0.postgres-headless." + AppNamespace + ".svc.cluster.local:5432",
		Path: "/app", RawQuery: "sslmode=disable",
	}
	return u.String()
}

// File is one file of the repository.
type File struct {
	Name string
	Data []byte
}

// PlainSecrets are the Secrets in plain text, before sops: a pure
// function of c, in DevKind's order. They only ever exist in memory and
// on sops' standard input.
func PlainSecrets(c Credentials) ([]File, error) {
	values := map[string]map[string]string{
		"postgres-credentials": {"username": c.User, "password": c.Password},
		"web-app-secrets":      {"database-url": c.databaseURL()},
	}
	var out []File
	for _, d := range DevKind() {
		data := map[string]string{}
		for _, k := range d.Keys {
			v, ok := values[d.Name][k]
			if !ok {
				return nil, fmt.Errorf("secrets: no value for key %s of %s", k, d.Name)
			}
			data[k] = base64.StdEncoding.EncodeToString([]byte(v))
		}
		obj := map[string]any{
			"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
			"metadata": map[string]any{"name": d.Name, "namespace": d.Namespace},
			"data":     data,
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: d.Name + ".sops.yaml", Data: b})
	}
	return out, nil
}

// RepoFiles are the plain-text files of the repository besides the
// encrypted Secrets: its kustomization and the .sops.yaml creation rule
// naming the recipient, so `sops` in the working copy encrypts new files
// for the same key.
func RepoFiles(recipient string, secrets []File) []File {
	names := make([]string, 0, len(secrets))
	for _, s := range secrets {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	k := "# Written by make up (tools/internal/secrets); Flux applies it as the\n" +
		"# Kustomization flux-system/secrets, decrypting with the Secret sops-age.\n" +
		"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
	for _, n := range names {
		k += "  - " + n + "\n"
	}
	rules := "# sops reads this in the working copy: new Secrets are encrypted for\n" +
		"# this machine's age key, values only.\ncreation_rules:\n" +
		"  - path_regex: \\.sops\\.yaml$\n    encrypted_regex: " + EncryptedRegex + "\n    age: " + recipient + "\n"
	return []File{{Name: "kustomization.yaml", Data: []byte(k)}, {Name: ".sops.yaml", Data: []byte(rules)}}
}
