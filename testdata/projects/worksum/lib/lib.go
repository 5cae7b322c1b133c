// Package lib is a module of the workspace, with a dependency whose checksums no go.sum
// holds.
package lib

import "github.com/google/uuid"

// Name names it, with a name-based UUID, the same on every run.
func Name() string { return "lib " + uuid.NewSHA1(uuid.NameSpaceDNS, []byte("goimage.dev")).String() }
