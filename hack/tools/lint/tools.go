//go:build tools

// Package tools records the linters hack/test builds: actionlint, for the workflows.
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
