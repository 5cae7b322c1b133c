// Package llb converts a Goimagefile's plan (package plan) into BuildKit LLB: a module download step keyed
// only on go.mod and go.sum, one cross-compiling `go build` per binary with the network
// off, and a final stage holding only the binaries.
//
// The converter is pure: it needs no daemon, so its output can be tested by marshalling.
// What the file means (flags, defaults, images, locations) it reads from the plan, never
// working it out again; everything it learns from outside (the build context, base images,
// platforms) comes through Options, whose zero value converts for the host platform.
package llb
