package verify

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/parallel-poc/orchestration/tools/internal/render"
)

// sopsValue is one value `sops --encrypt` writes: AES256-GCM ciphertext,
// IV and tag in standard base64, and the type the plaintext had. The
// secret_encrypted policy uses the same pattern.
var sopsValue = regexp.MustCompile(`^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:([a-z]+)\]$`)

// Placeholders for encrypted values. data must hold base64, so its
// placeholder is base64 too ("placeholder").
const (
	dataPlaceholder       = "cGxhY2Vob2xkZXI="
	stringDataPlaceholder = "placeholder"
)

// schemaDocument is what the schema check validates for o. A Secret
// encrypted with SOPS (the way Flux decrypts it: the top-level `sops`
// metadata, ENC[...] values under data and stringData) is checked as
// kustomize-controller will apply it once decrypted, with no key needed:
// without `sops` (an unknown field to the strict schema) and with each
// encrypted value replaced by a placeholder of the type sops recorded.
// Everything else is checked as rendered. The policies still see the
// object as rendered: whether the encryption is sound is theirs to say
// (secret_encrypted), so a malformed `sops` block is stripped here too.
func schemaDocument(o render.Resource) ([]byte, error) {
	if _, ok := o.Object["sops"].(map[string]any); !ok || o.ID.Kind != "Secret" || o.ID.APIVersion != "v1" {
		return o.YAML, nil
	}
	decrypted := make(map[string]any, len(o.Object))
	for k, v := range o.Object {
		decrypted[k] = v
	}
	delete(decrypted, "sops")
	for field, placeholder := range map[string]string{"data": dataPlaceholder, "stringData": stringDataPlaceholder} {
		if values, ok := o.Object[field].(map[string]any); ok {
			decrypted[field] = withPlaceholders(values, placeholder)
		}
	}
	doc, err := json.Marshal(decrypted)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the decrypted shape of %s: %w", o.ID, err)
	}
	return doc, nil
}

// withPlaceholders returns a copy of values with every ENC[...] value
// replaced by what decrypting it yields in kind (sops restores the
// plaintext's type, so an encrypted number stays a number the schema
// rejects). Values that are not encrypted stay as they are.
func withPlaceholders(values map[string]any, str string) map[string]any {
	out := make(map[string]any, len(values))
	for k, v := range values {
		out[k] = v
		s, _ := v.(string)
		m := sopsValue.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		switch m[1] {
		case "int":
			out[k] = 0
		case "float":
			out[k] = 0.5
		case "bool":
			out[k] = false
		default: // str, bytes
			out[k] = str
		}
	}
	return out
}
