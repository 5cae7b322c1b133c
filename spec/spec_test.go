package spec

import "testing"

func TestBinaryPackage(t *testing.T) {
	for _, tt := range []struct{ desc, main, want string }{
		{"the module root", ".", "."},
		{"a directory", "cmd/app", "./cmd/app"},
		{"already relative", "./cmd/app/", "./cmd/app"},
		{"a name that is also a standard library package", "fmt", "./fmt"},
		{"a name that looks like a flag", "-x", "./-x"},
	} {
		if got := (Binary{Main: tt.main}).Package(); got != tt.want {
			t.Errorf("%s: Package(%q) = %q, want %q", tt.desc, tt.main, got, tt.want)
		}
	}
}
