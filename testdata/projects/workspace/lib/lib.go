// Package lib is a module of the workspace.
package lib

// Name names it.
func Name() string { return "lib from the workspace" }
