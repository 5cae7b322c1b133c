// Package testenv holds what tests share about the environment they run in: CI=true turns
// every skip for a missing prerequisite into a failure, so CI can never pass on tests that
// did not run. It also writes the file trees tests build from.
package testenv
