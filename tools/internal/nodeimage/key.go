package nodeimage

import "github.com/parallel-poc/orchestration/tools/internal/cachekey"

// builderRevision is part of every key. Bump it when a change to this
// package changes what a step produces without changing any input the
// keys already cover (a new cleanup rule, a different tar flag).
const builderRevision = 1

func keyOf(kind string, v any) string { return cachekey.Of(kind, builderRevision, v) }
