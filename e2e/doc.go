// Package e2e holds goimage's end-to-end tests: they build the examples through a real
// buildkitd (the workbench of hack/dev) by every entry point a user has — buildctl with the
// `# syntax=` line, buildctl with gateway.v0 and docker buildx — then read the images back
// from the registry and run the binaries that came out.
//
// The tests need BUILDKIT_HOST and the workbench's registry; without them they skip, except
// under CI=true, where a missing daemon is a failure. `go test -short` skips them.
package e2e
