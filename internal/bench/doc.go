// Package bench measures goimage against the Dockerfiles people write for Go today and against
// the host's own go build, on the workbench's buildkitd: every variant in the same run, the
// same scenarios for each, reported as medians and ratios. hack/bench runs it.
package bench
