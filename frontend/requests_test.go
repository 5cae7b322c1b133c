package frontend

import (
	"testing"

	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
)

// TestOutlineArgs checks that `--call outline` lists every build arg a field expands, from
// ldflags and gcflags alike, once each, at its first use, in a fixed order.
func TestOutlineArgs(t *testing.T) {
	const goimagefile = `# syntax=goimage/frontend:1
version: 1
binaries:
  - name: app
    main: ./cmd/app
    gcflags: ["-N -d=${DEBUG}", "all=${GCF}"]
    ldflags: ["-X main.version=${VERSION} -X main.commit=${COMMIT}"]
  - name: tool
    main: ./cmd/tool
    ldflags: ["-X main.version=${VERSION}", "-X 'main.msg=${MSG}'"]
    gcflags: ["${DEBUG}", "-m=${SOURCE_DATE_EPOCH}"]
`
	s, err := spec.Parse([]byte(goimagefile))
	if err != nil {
		t.Fatal(err)
	}
	o := outlineOf(s, llb.NewSourceMap(nil, "Goimagefile", "", []byte(goimagefile)))
	type arg struct {
		Name, Description, At string
	}
	var got []arg
	for _, a := range o.Args {
		at := "-"
		if a.Location != nil {
			r := a.Location.Ranges[0].Start
			at = spec.Pos{Line: int(r.Line), Column: int(r.Character) + 1}.String()
		}
		got = append(got, arg{a.Name, a.Description, at})
	}
	want := []arg{
		{"VERSION", "expanded in the ldflags of app", "7:15"},
		{"COMMIT", "expanded in the ldflags of app", "7:15"},
		{"DEBUG", "expanded in the gcflags of app", "6:15"},
		{"GCF", "expanded in the gcflags of app", "6:33"},
		{"MSG", "expanded in the ldflags of tool", "10:45"},
		// Read by a field too: listed once, there.
		{"SOURCE_DATE_EPOCH", "expanded in the gcflags of tool", "11:27"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("outline args (-got +want):\n%s", diff)
	}
}
