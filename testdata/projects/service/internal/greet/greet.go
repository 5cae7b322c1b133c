// Package greet says hello in the configured language.
package greet

import "strings"

// Line is the greeting for name.
func Line(greeting, name string) string { return strings.TrimSpace(greeting) + ", " + name }
