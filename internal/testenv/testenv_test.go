package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSkipIfShortUnderCI runs itself again as a child go test with -short: as the child, it
// calls SkipIfShort and then fails on purpose, so the child fails exactly when it did not skip.
func TestSkipIfShortUnderCI(t *testing.T) {
	if os.Getenv("GOIMAGE_TESTENV_PROBE") == "1" {
		SkipIfShort(t, "probe")
		t.Fatal("ran")
	}
	tests := []struct {
		desc, ci string
		wantFail bool
	}{
		{desc: "CI=true ignores -short", ci: "true", wantFail: true},
		{desc: "outside CI -short skips", ci: "", wantFail: false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSkipIfShortUnderCI$", "-test.short", "-test.v")
			cmd.Env = append(os.Environ(), "CI="+tt.ci, "GOIMAGE_TESTENV_PROBE=1")
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Fatalf("probe failed=%v, want %v:\n%s", failed, tt.wantFail, out)
			}
			if !tt.wantFail && !strings.Contains(string(out), "SKIP: TestSkipIfShortUnderCI") {
				t.Errorf("probe did not skip:\n%s", out)
			}
		})
	}
}
