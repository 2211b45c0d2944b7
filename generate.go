package vem

// The resources of internal/emspec/spec.json become zz_resources.go,
// internal/em/zz_query.go and docs/coverage.md.
//go:generate go run ./internal/cmd/vemgen
