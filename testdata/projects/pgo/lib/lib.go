// Package lib is what both mains import, from a module replaced by a directory.
package lib

import (
	"runtime/debug"
	"strings"
)

// Report greets name and names the profile the binary was built with, from its build
// information ("none" without one).
func Report(name string) string {
	pgo := "none"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-pgo" {
				pgo = s.Value[strings.LastIndex(s.Value, "/")+1:]
			}
		}
	}
	return "pgo " + name + ": hello, " + strings.ToUpper(name) + "; profile " + pgo
}
