//go:build tools

// Package tools records the tools hack/bench builds: ko, for the ko variant.
package tools

import _ "github.com/google/ko"
