//go:build tools

// Package tools records the Docker Engine hack/dev builds for `hack/dev up docker`: dockerd,
// containerd with its runc shim, and a runc new enough for the engine (Debian bookworm's lacks
// the time namespace it asks for). A module of its own, apart from the workbench's BuildKit.
package tools

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	_ "github.com/moby/moby/v2/cmd/dockerd"
	_ "github.com/opencontainers/runc"
)
