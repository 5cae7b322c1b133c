// Package llb converts a Goimagefile spec into BuildKit LLB: a module download step keyed
// only on go.mod and go.sum, one cross-compiling `go build` per binary with the network
// off, and a final stage holding only the binaries.
//
// The converter is pure: it needs no daemon, so its output can be tested by marshalling.
// Everything it learns from outside (the build context, base images, build args) comes
// through Options, whose zero value converts for the host platform.
package llb
