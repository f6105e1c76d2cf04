// Package schemagen generates the strict JSON schemas in tools/schemas from
// pinned sources: the Kubernetes OpenAPI v2 document (swagger.json) and
// CustomResourceDefinition YAML, both read from the Go module cache.
//
// Generate is pure (bytes in, Files out); loader.go alone does I/O: it
// finds module directories with `go mod download -json` and writes the
// tree. Output is deterministic: sorted keys, two-space indentation, a
// trailing newline.
//
// Every schema is standalone (references inlined; only recursive types
// keep a file-local "definitions") and adapted to how the API server reads
// JSON, following yannh/openapi2jsonschema:
//
//   - objects that declare properties get additionalProperties: false,
//     unless x-kubernetes-preserve-unknown-fields or additionalProperties
//     says otherwise; allOf/anyOf/oneOf/not branches stay open, since their
//     properties only constrain, never enumerate;
//   - int-or-string becomes type [integer, string], resource.Quantity
//     [number, string] with the quantity pattern;
//   - optional and nullable properties also accept null;
//   - apiVersion and kind admit exactly the file's own group/version/kind;
//     CRD metadata is Kubernetes' ObjectMeta;
//   - descriptions, defaults and x-kubernetes-* extensions are dropped.
//
// Typed lists (DeploymentList) and API plumbing registered in every group
// (DeleteOptions, WatchEvent) get no schema.
package schemagen
