package llb

import (
	"bytes"
	"testing"

	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
)

// Locations are rendered "file:line:character", the character 0-based as BuildKit's ranges.
const multiFile = `# syntax=goimage/frontend:1
version: 1
dir: sub
binaries:
  - name: app
    main: ./cmd/app
  - name: tool
    tags: [x]
    main: ./cmd/tool
base: scratch
`

const shorthandFile = `version: 1
go: "1.26"

main: ./cmd/server
`

// TestSourceLocations checks that ops carry the Goimagefile line of the field that caused
// them, so that BuildKit can point at it when a step fails.
func TestSourceLocations(t *testing.T) {
	tests := []struct {
		desc string
		file string
		op   string
		want []string
	}{
		{desc: "first compile: its main", file: multiFile, op: "go build ./cmd/app linux/arm64", want: []string{"Goimagefile:6:10"}},
		{desc: "second compile: its main", file: multiFile, op: "go build ./cmd/tool linux/arm64", want: []string{"Goimagefile:9:10"}},
		{desc: "download with a dir: the dir", file: multiFile, op: downloadName, want: []string{"Goimagefile:3:5"}},
		{desc: "final copy: the binaries", file: multiFile, op: "copy /app /tool into the image", want: []string{"Goimagefile:5:2"}},
		{desc: "shorthand compile: main", file: shorthandFile, op: "go build ./cmd/server linux/arm64", want: []string{"Goimagefile:4:6"}},
		{desc: "download without a dir: version", file: shorthandFile, op: downloadName, want: []string{"Goimagefile:1:9"}},
		{desc: "shorthand final copy: main", file: shorthandFile, op: "copy /server into the image", want: []string{"Goimagefile:4:6"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			data := []byte(tc.file)
			opt := crossOpts(arm64)
			opt.SourceMap = llb.NewSourceMap(nil, "Goimagefile", "yaml", data)
			_, g := convert(t, tc.file, opt)
			if diff := cmp.Diff(g.named(tc.op).locations(), tc.want); diff != "" {
				t.Errorf("locations of %q (-got +want):\n%s", tc.op, diff)
			}
			infos := g.def.Source.GetInfos()
			if len(infos) != 1 {
				t.Fatalf("%d source infos, want 1", len(infos))
			}
			if infos[0].Filename != "Goimagefile" || infos[0].Language != "yaml" || !bytes.Equal(infos[0].Data, data) {
				t.Errorf("source info = %s %s %q, want the Goimagefile", infos[0].Filename, infos[0].Language, infos[0].Data)
			}
		})
	}
}

// TestSourceLocationsLines checks the located lines against the file's text, so that the
// table above cannot drift from what the lines say.
func TestSourceLocationsLines(t *testing.T) {
	data := []byte(multiFile)
	lines := bytes.Split(data, []byte("\n"))
	opt := crossOpts(arm64)
	opt.SourceMap = llb.NewSourceMap(nil, "Goimagefile", "yaml", data)
	_, g := convert(t, multiFile, opt)
	for op, want := range map[string]string{
		"go build ./cmd/app linux/arm64":  "./cmd/app",
		"go build ./cmd/tool linux/arm64": "./cmd/tool",
	} {
		r := g.def.Source.Locations[string(g.named(op).dgst)].GetLocations()
		if len(r) != 1 || len(r[0].Ranges) != 1 {
			t.Fatalf("%s: locations %v, want one range", op, r)
		}
		start := r[0].Ranges[0].Start
		line := lines[start.Line-1]
		if got := string(line[start.Character:]); got != want {
			t.Errorf("%s points at %q, want %q", op, got, want)
		}
	}
}

// TestNoSourceMap checks that without a source map no op is located.
func TestNoSourceMap(t *testing.T) {
	_, g := convert(t, multiFile, crossOpts(arm64))
	for _, n := range g.all() {
		if locs := n.locations(); len(locs) != 0 {
			t.Errorf("%s is located at %q, want nowhere", n, locs)
		}
	}
	if n := len(g.def.Source.GetInfos()); n != 0 {
		t.Errorf("%d source infos, want none", n)
	}
}

// TestRange checks the BuildKit range of a spec position: 1-based lines, 0-based characters.
func TestRange(t *testing.T) {
	tests := []struct {
		desc               string
		line, col          int
		wantLine, wantChar int32
	}{
		{desc: "first column", line: 3, col: 1, wantLine: 3, wantChar: 0},
		{desc: "indented", line: 6, col: 11, wantLine: 6, wantChar: 10},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := Range(spec.Range{Start: specPos(tc.line, tc.col)})
			got := [4]int32{r.Start.Line, r.Start.Character, r.End.Line, r.End.Character}
			want := [4]int32{tc.wantLine, tc.wantChar, tc.wantLine, tc.wantChar}
			if got != want {
				t.Errorf("Range = %v, want %v", got, want)
			}
		})
	}
}
