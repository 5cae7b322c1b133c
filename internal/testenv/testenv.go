package testenv

import (
	"os"
	"testing"
)

// CI reports whether the tests run under CI=true, where nothing may skip.
func CI() bool { return os.Getenv("CI") == "true" }

// SkipIfShort skips a slow test under -short, except under CI=true, where -short is ignored
// so that a flag passed by mistake cannot turn CI green without its end-to-end tests.
func SkipIfShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() && !CI() {
		t.Skipf("%s: skipped with -short", why)
	}
}

// Unavailable skips a test whose prerequisite is missing, or fails it under CI=true.
func Unavailable(t testing.TB, why string) {
	t.Helper()
	if CI() {
		t.Fatalf("must run under CI=true: %s", why)
	}
	t.Skipf("skipped: %s", why)
}
