// Package workbench starts extra buildkitd daemons beside the workbench's own (hack/dev), each
// with a fresh root: the fresh builders of CI that the end-to-end tests and hack/bench need.
// A daemon started here has the workbench daemon's configuration (the registry mirror) and
// nothing else of its state.
package workbench
