// Package quote is vendored only: no module proxy serves it.
package quote

// Go is a proverb.
func Go() string { return "clear is better than clever" }
