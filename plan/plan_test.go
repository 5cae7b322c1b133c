package plan

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
)

// at is a location as "field@start-end", line:column as spec.Pos prints them.
func at(l Location) string {
	return l.Field + "@" + l.Range.Start.String() + "-" + l.Range.End.String()
}

// TestResolve checks what a plan says of small files: images, binaries, the test target,
// the user and the build args, each at its range.
func TestResolve(t *testing.T) {
	type binary struct {
		Name, Package, Ldflags string
		Tags, Gcflags          []string
		At, MainAt             string
	}
	type arg struct{ Name, Description, At string }
	type summary struct {
		Builder, Base, User string
		BuilderAt, BaseAt   string
		Binaries            []binary
		Test                []string
		TestAt              string
		Args                []arg
	}
	tests := []struct {
		desc        string
		goimagefile string
		args        map[string]string
		want        summary
	}{
		{
			desc:        "the main: shorthand and every default: defaulted fields stand at version",
			goimagefile: "version: 1\nmain: ./cmd/app\n",
			want: summary{
				Builder: "golang:1.26", BuilderAt: "go@1:10-1:11",
				Base: DistrolessImage, BaseAt: "base@1:10-1:11",
				User: "65532:65532",
				Binaries: []binary{{
					Name: "app", Package: "./cmd/app", Ldflags: "-s -w -buildid=",
					At: "binaries[0]@2:7-2:16", MainAt: "binaries[0].main@2:7-2:16",
				}},
				Test: []string{"./..."}, TestAt: "test@1:10-1:11",
			},
		},
		{
			desc: "binaries, tzdata, flags with build args, an explicit builder, root",
			goimagefile: `version: 1
builder: example.com/go:1
binaries:
  - name: api
    main: .
    tags: [netgo]
    ldflags: ["-X main.v=${VERSION}"]
    gcflags: ["all=-N -l", "${NONE}"]
  - main: ./cmd/tool
    ldflags: ["-X main.v=${VERSION} -X main.c=${COMMIT}"]
tzdata: true
base: scratch
image: {user: root}
test:
  packages: [./internal/...]
`,
			args: map[string]string{"VERSION": "1.2 beta"},
			want: summary{
				Builder: "example.com/go:1", BuilderAt: "builder@2:10-2:26",
				Base: "", BaseAt: "base@12:7-12:14",
				User: "0:0",
				Binaries: []binary{
					{
						Name: "api", Package: ".", Ldflags: "-s -w -buildid= -X 'main.v=1.2 beta'",
						Tags: []string{"netgo", "timetzdata"}, Gcflags: []string{"all=-N -l"},
						At: "binaries[0]@4:5-8:38", MainAt: "binaries[0].main@5:11-5:12",
					},
					{
						Name: "tool", Package: "./cmd/tool", Ldflags: "-s -w -buildid= -X 'main.v=1.2 beta' -X main.c=",
						Tags: []string{"timetzdata"},
						At:   "binaries[1]@9:5-10:58", MainAt: "binaries[1].main@9:11-9:21",
					},
				},
				Test: []string{"./internal/..."}, TestAt: "test@15:3-15:29",
				Args: []arg{
					{"VERSION", "expanded in the ldflags of api", "binaries[0].ldflags[0]@7:15-7:37"},
					{"NONE", "expanded in the gcflags of api", "binaries[0].gcflags[1]@8:28-8:37"},
					{"COMMIT", "expanded in the ldflags of tool", "binaries[1].ldflags[0]@10:15-10:57"},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			p := resolveFile(t, tc.goimagefile, tc.args)
			got := summary{
				Builder: p.Builder.Ref, BuilderAt: at(p.Builder.At),
				Base: p.Base.Ref, BaseAt: at(p.Base.At),
				User: p.User, Test: p.Test.Packages, TestAt: at(p.Test.At),
			}
			for _, b := range p.Binaries {
				got.Binaries = append(got.Binaries, binary{b.Name, b.Package, b.Ldflags, b.Tags, b.Gcflags, at(b.At), at(b.MainAt)})
			}
			for _, a := range p.Args {
				got.Args = append(got.Args, arg{a.Name, a.Description, at(a.At)})
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("plan (-got +want):\n%s", diff)
			}
		})
	}
}

// TestBaseImage checks the reference each base names.
func TestBaseImage(t *testing.T) {
	tests := []struct {
		desc, base string
		cgo        bool
		want       string
	}{
		{desc: "scratch", base: "scratch", want: ""},
		{desc: "distroless", base: "distroless", want: "gcr.io/distroless/static-debian12:nonroot"},
		{desc: "distroless with cgo has a C library", base: "distroless", cgo: true, want: "gcr.io/distroless/base-debian12:nonroot"},
		{desc: "reference", base: "alpine:3", want: "alpine:3"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			p, err := Resolve(&spec.Spec{Base: tc.base, CGO: tc.cgo}, Inputs{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Base.Ref != tc.want {
				t.Errorf("base %q, cgo %v: Ref = %q, want %q", tc.base, tc.cgo, p.Base.Ref, tc.want)
			}
		})
	}
}

// TestEveryItemLocated resolves every example and stand-in project and checks that every
// Location in the plan has a range in the file, its end not before its start: no item is
// left at line 0 or sent to line 1 for want of a position.
func TestEveryItemLocated(t *testing.T) {
	files, err := filepath.Glob("../*/*/Goimagefile")
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob("../testdata/projects/*/Goimagefile")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	if len(files) < 9 {
		t.Fatalf("found %d Goimagefiles, want the 3 examples and 6 stand-ins: %q", len(files), files)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p := resolveFile(t, string(data), nil)
			n := 0
			forEachLocation(reflect.ValueOf(p).Elem(), func(l Location) {
				n++
				r := l.Range
				if r.Start.Line < 1 || r.Start.Column < 1 || r.End.Line < r.Start.Line ||
					(r.End.Line == r.Start.Line && r.End.Column < r.Start.Column) {
					t.Errorf("%s: range %v-%v", l.Field, r.Start, r.End)
				}
				if r.Start.Line == 1 {
					t.Errorf("%s at line 1, the syntax line", l.Field)
				}
			})
			if want := 3 + 2*len(p.Binaries) + len(p.Args); n != want {
				t.Errorf("checked %d locations, want %d", n, want)
			}
		})
	}
}

// forEachLocation calls f with every Location reachable from v, the plan's Spec aside.
func forEachLocation(v reflect.Value, f func(Location)) {
	switch v.Kind() {
	case reflect.Struct:
		if l, ok := v.Interface().(Location); ok {
			f(l)
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).Name != "Spec" {
				forEachLocation(v.Field(i), f)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			forEachLocation(v.Index(i), f)
		}
	}
}
