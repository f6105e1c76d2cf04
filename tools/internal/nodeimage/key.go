package nodeimage

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// builderRevision is part of every key. Bump it when a change to this
// package changes what a step produces without changing any input the
// keys already cover (a new cleanup rule, a different tar flag).
const builderRevision = 1

// keyOf hashes v's JSON encoding: struct fields in declaration order, map
// keys sorted, so equal inputs always give equal keys.
func keyOf(kind string, v any) string {
	b, err := json.Marshal(struct {
		Kind     string
		Revision int
		Inputs   any
	}{kind, builderRevision, v})
	if err != nil {
		// Inputs are plain strings, slices and maps: this cannot fail.
		panic(fmt.Sprintf("nodeimage: hashing %s inputs: %v", kind, err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
