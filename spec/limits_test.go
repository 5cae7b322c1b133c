package spec

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// aliasBomb is a Goimagefile whose first binary anchors a list of items, which its other
// flag lists share, and which refs more binaries repeat by alias: about 3*items+7*refs
// bytes that expand to 4*items*(refs+1) values.
func aliasBomb(items, refs int) string {
	var b strings.Builder
	b.WriteString("version: 1\nbinaries:\n  - &b {name: x, main: ./x, tags: &a [")
	b.WriteString(strings.Repeat("t, ", items-1))
	b.WriteString("t], ldflags: *a, gcflags: *a, flags: *a}\n")
	b.WriteString(strings.Repeat("  - *b\n", refs))
	return b.String()
}

// sharedScalar is a Goimagefile whose first tag anchors a scalar of size bytes that the
// next refs tags repeat; the tag is invalid, so that each copy would be an error quoting it.
func sharedScalar(size, refs int) string {
	var b strings.Builder
	b.WriteString("version: 1\nbinaries:\n  - main: ./x\n    tags:\n      - &s \"bad tag ")
	b.WriteString(strings.Repeat("x", size-len("bad tag ")))
	b.WriteString("\"\n")
	b.WriteString(strings.Repeat("      - *s\n", refs))
	return b.String()
}

// allocated is how many bytes f allocates, whatever the garbage collector frees meanwhile.
// Tests in this package do not run in parallel, so nothing else allocates much meanwhile.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestAliasBudget feeds Parse inputs whose aliases multiply. Before the budget, the 8 KB
// bomb allocated 500 MB, the 100 KB tag 600 MB of error text quoting it, and the 256 KB
// bombs would exhaust the machine. The bound is on bytes allocated, not time, so that a slow CI
// machine cannot make it flaky. Within the budget, aliases cost under 3 MB; the rest is
// linear in the file: the densest one allocates 42 MB, half in yaml.v3's node tree and
// half in the positions and values of its 80,000 literal items.
func TestAliasBudget(t *testing.T) {
	tooMany := "aliases expand to more than 10000 values: a Goimagefile needs far fewer"
	long := aliasBomb(80_000, 3000)
	longCol := strings.Index(strings.Split(long, "\n")[2], "*a") + 1
	for _, tc := range []struct {
		desc     string
		in       string
		want     Errors
		maxAlloc uint64
	}{{
		// The smallest first: if the budget is gone, it fails within a second or two,
		// and the larger ones are not tried (they would exhaust the machine).
		desc: "8 KB: a 1000-item list shared by 700 binaries",
		in:   aliasBomb(1000, 700),
		// The anchor's own three *a add 3003 values, each *b 4013: the second *b, on
		// line 5, crosses 10,000.
		want:     Errors{{Pos: Pos{5, 5}, Path: "binaries[2]", Msg: tooMany}},
		maxAlloc: 8 << 20,
	}, {
		desc:     "120 KB: a 100 KB invalid tag repeated 2000 times",
		in:       sharedScalar(100_000, 2000),
		want:     Errors{{Pos: Pos{16, 9}, Path: "binaries[0].tags[11]", Msg: "aliases expand to more than 1048576 bytes of text: a Goimagefile needs far less"}},
		maxAlloc: 8 << 20,
	}, {
		desc:     "256 KB: a 1000-item list shared by 36,000 binaries",
		in:       aliasBomb(1000, 36_000),
		want:     Errors{{Pos: Pos{5, 5}, Path: "binaries[2]", Msg: tooMany}},
		maxAlloc: 64 << 20,
	}, {
		desc: "256 KB: an 80,000-item list shared by 3000 binaries",
		in:   long,
		// The anchor's first *a alone expands past the budget.
		want:     Errors{{Pos: Pos{3, longCol}, Path: "binaries[0].ldflags", Msg: tooMany}},
		maxAlloc: 64 << 20,
	}} {
		ok := t.Run(tc.desc, func(t *testing.T) {
			if len(tc.in) > MaxSize {
				t.Fatalf("input is %d bytes: the size limit would refuse it before any alias", len(tc.in))
			}
			var err error
			n := allocated(func() { _, err = Parse([]byte(tc.in)) })
			var got Errors
			if !errors.As(err, &got) {
				t.Fatalf("Parse error = %.300v (%T), want Errors", err, err)
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("Parse errors (-got +want):\n%s", diff)
			}
			t.Logf("Parse of %d bytes allocated %d KB", len(tc.in), n>>10)
			if n > tc.maxAlloc {
				t.Errorf("Parse of %d bytes allocated %d MB, want at most %d MB", len(tc.in), n>>20, tc.maxAlloc>>20)
			}
		})
		if !ok {
			t.Fatalf("%s failed: not trying the larger inputs", tc.desc)
		}
	}
}

// TestAliasesShareValues checks what aliases are for: values written once and used in
// several places, within the budget, decoded as if spelt out.
func TestAliasesShareValues(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		want []Binary
	}{{
		desc: "shared ldflags",
		in: "version: 1\n" +
			"binaries:\n" +
			"  - main: ./cmd/api\n" +
			"    ldflags: &ld [\"-X main.version=${VERSION}\", -extldflags=-static]\n" +
			"  - main: ./cmd/worker\n" +
			"    ldflags: *ld\n",
		want: []Binary{
			{Name: "api", Main: "./cmd/api", Ldflags: []string{"-X main.version=${VERSION}", "-extldflags=-static"}},
			{Name: "worker", Main: "./cmd/worker", Ldflags: []string{"-X main.version=${VERSION}", "-extldflags=-static"}},
		},
	}, {
		desc: "a shared scalar",
		in: "version: 1\n" +
			"binaries:\n" +
			"  - {main: ./cmd/app, tags: [&tag netgo]}\n" +
			"  - {name: app2, main: ./cmd/app, tags: [*tag, osusergo]}\n",
		want: []Binary{
			{Name: "app", Main: "./cmd/app", Tags: []string{"netgo"}},
			{Name: "app2", Main: "./cmd/app", Tags: []string{"netgo", "osusergo"}},
		},
	}} {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(s.Binaries, tc.want); diff != "" {
				t.Errorf("binaries (-got +want):\n%s", diff)
			}
		})
	}
}

// TestAliasBudgetFitsRealFiles checks that the budget leaves room for sharing: the most
// binaries an image may have, each with a 36-flag list shared from the first.
func TestAliasBudgetFitsRealFiles(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nbinaries:\n")
	b.WriteString("  - {name: b0, main: ./b, flags: &f [" + strings.Repeat("-v, ", 35) + "-v]}\n")
	for i := 1; i < MaxBinaries; i++ {
		fmt.Fprintf(&b, "  - {name: b%d, main: ./b, flags: *f}\n", i)
	}
	s, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatalf("Parse: %.300v", err)
	}
	if last := s.Binaries[len(s.Binaries)-1]; len(s.Binaries) != MaxBinaries || len(last.Flags) != 36 {
		t.Errorf("%d binaries, the last with %d flags; want %d with 36", len(s.Binaries), len(last.Flags), MaxBinaries)
	}
}

func TestAliasKey(t *testing.T) {
	_, err := Parse([]byte("version: 1\nmain: &m ./cmd/app\nimage:\n  labels: {*m : x}\n"))
	want := Errors{{Pos: Pos{4, 12}, Path: "image.labels", Msg: "an alias cannot be a key: spell the key out"}}
	var got Errors
	if !errors.As(err, &got) {
		t.Fatalf("Parse error = %v (%T), want Errors", err, err)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Parse errors (-got +want):\n%s", diff)
	}
}
