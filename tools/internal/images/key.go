package images

import "github.com/parallel-poc/orchestration/tools/internal/cachekey"

// builderRevision is part of every key: bump it when the builder changes
// what it produces in a way the hashed sources do not show (they cover
// this package and ociimage, so that is rare).
const builderRevision = 1

func keyOf(kind string, v any) string { return cachekey.Of(kind, builderRevision, v) }

func sourceHash(moduleDir string, dirs ...string) (string, error) {
	return cachekey.SourceHash(moduleDir, dirs, nil)
}

func shortKey(key string) string { return cachekey.Short(key) }
