//go:build tools

// Package tools records the oldest BuildKit goimage supports (Docker Engine 25.0's), which
// hack/dev builds for `hack/dev up oldest`. A module of its own: its dependencies are years
// older than the workbench's daemon's.
package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
