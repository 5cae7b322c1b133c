package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/goimage/goimage/check"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
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
	p, err := plan.Resolve(s, plan.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	o := outlineOf(p, llb.NewSourceMap(nil, "Goimagefile", "", []byte(goimagefile)))
	type arg struct {
		Name, Description, At string
	}
	var got []arg
	for _, a := range o.Args {
		got = append(got, arg{a.Name, a.Description, at(a.Location)})
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

// subrequest runs Build for the subrequest opts["requestid"] names and decodes its
// result.json into v; the result is returned for its other metadata.
func subrequest(t *testing.T, c *fakeClient, v any) *client.Result {
	t.Helper()
	res := build(t, c)
	if res.Ref != nil || len(res.Refs) > 0 {
		t.Errorf("subrequest %s returned a build result", c.Opts["requestid"])
	}
	if err := json.Unmarshal(res.Metadata["result.json"], v); err != nil {
		t.Fatalf("result.json: %v\n%s", err, res.Metadata["result.json"])
	}
	if _, ok := res.Metadata["result.txt"]; !ok {
		t.Errorf("subrequest %s: no result.txt for the terminal", c.Opts["requestid"])
	}
	return res
}

// at is where a location points, "line:col" as spec.Pos prints it, "-" for nowhere.
func at(loc *pb.Location) string {
	if loc == nil || len(loc.Ranges) == 0 {
		return "-"
	}
	r := loc.Ranges[0].Start
	return spec.Pos{Line: int(r.Line), Column: int(r.Character) + 1}.String()
}

// goimagefileOf is the Goimagefile of a directory, as the subrequests return it.
func goimagefileOf(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(path.Join(dir, DefaultFilename))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestSubrequestTargets checks `--call targets` through Build: each binary, the first the
// default, then the test target, each at its line of the Goimagefile.
func TestSubrequestTargets(t *testing.T) {
	type target struct {
		Name        string
		Default     bool
		Description string
		Base        string
		At          string
	}
	tests := []struct {
		desc string
		dir  string
		want []target
	}{
		{
			desc: "the service: two binaries and a test field",
			dir:  serviceDir,
			want: []target{
				{Name: "api", Default: true, Description: "go build ./cmd/api", Base: "scratch", At: "7:5"},
				{Name: "tool", Description: "go build ./cmd/tool", Base: "scratch", At: "14:5"},
				{Name: "test", Description: "go test ./...", At: "28:3"},
			},
		},
		{
			desc: "examples/deps: no test field, so the test target stands at version, as its go test step does",
			dir:  depsDir,
			want: []target{
				{Name: "deps", Default: true, Description: "go build .", Base: "distroless", At: "5:5"},
				{Name: "test", Description: "go test ./...", At: "2:10"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var l targets.List
			subrequest(t, newFakeClient(t, tt.dir, map[string]string{"requestid": targets.RequestTargets}), &l)
			var got []target
			for _, tg := range l.Targets {
				got = append(got, target{tg.Name, tg.Default, tg.Description, tg.Base, at(tg.Location)})
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("targets (-got +want):\n%s", diff)
			}
			if len(l.Sources) != 1 || string(l.Sources[0]) != goimagefileOf(t, tt.dir) {
				t.Errorf("sources = %q, want the Goimagefile", l.Sources)
			}
		})
	}
}

// TestSubrequestOutline checks `--call outline` through Build: the build args ldflags and
// gcflags expand, then SOURCE_DATE_EPOCH; the netrc secret and the SSH agent the module
// download uses.
func TestSubrequestOutline(t *testing.T) {
	type named struct{ Name, Description, At string }
	type summary struct {
		Args, Secrets, SSH []named
	}
	epoch := named{"SOURCE_DATE_EPOCH", "the time of every file and of the image (default: 1970-01-01)", "-"}
	tests := []struct {
		desc  string
		files fstest.MapFS
		want  summary
	}{
		{
			desc: "ldflags and gcflags, private modules",
			files: fstest.MapFS{DefaultFilename: {Data: []byte(`# syntax=goimage/frontend:1
version: 1
binaries:
  - name: app
    main: ./cmd/app
    ldflags: ["-X main.version=${VERSION}"]
    gcflags: ["all=-d=${DEBUGFLAGS}"]
goprivate: example.com/*
private:
  netrc: netrc
  ssh: true
`)}},
			want: summary{
				Args: []named{
					{"VERSION", "expanded in the ldflags of app", "6:15"},
					{"DEBUGFLAGS", "expanded in the gcflags of app", "7:15"},
					epoch,
				},
				Secrets: []named{{"netrc", "", "10:10"}},
				SSH:     []named{{"default", "", "11:8"}},
			},
		},
		{
			desc:  "the service: three ldflags, gcflags without args",
			files: fstest.MapFS{DefaultFilename: {Data: []byte(goimagefileOf(t, serviceDir))}},
			want: summary{Args: []named{
				{"VERSION", "expanded in the ldflags of api", "11:9"},
				{"GOIMAGE_REVISION", "expanded in the ldflags of api", "12:9"},
				{"GOIMAGE_DATE", "expanded in the ldflags of api", "13:9"},
				epoch,
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var o outline.Outline
			subrequest(t, newFakeClientFiles(tt.files, map[string]string{"requestid": outline.RequestSubrequestsOutline}), &o)
			var got summary
			for _, a := range o.Args {
				got.Args = append(got.Args, named{a.Name, a.Description, at(a.Location)})
			}
			for _, s := range o.Secrets {
				got.Secrets = append(got.Secrets, named{s.Name, "", at(s.Location)})
			}
			for _, s := range o.SSH {
				got.SSH = append(got.SSH, named{s.Name, "", at(s.Location)})
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("outline (-got +want):\n%s", diff)
			}
		})
	}
}

// TestSubrequestLint checks `--call check` through Build: the check package's warnings at
// their lines, the status code buildx exits with, and go.mod and go.sum read from the build
// context, alone, unless the module is vendored.
func TestSubrequestLint(t *testing.T) {
	type warning struct{ Rule, Detail, At string }
	deps := func(t *testing.T) fstest.MapFS { return dirFiles(t, depsDir) }
	tests := []struct {
		desc       string
		files      func(*testing.T) fstest.MapFS
		want       []warning
		wantRead   []string // the files the check transferred from the build context
		wantStatus string
	}{
		{
			desc:       "examples/deps: nothing to report",
			files:      deps,
			wantRead:   []string{"go.mod", "go.sum"},
			wantStatus: "0",
		},
		{
			desc: "examples/deps without its go.sum",
			files: func(t *testing.T) fstest.MapFS {
				fsys := deps(t)
				delete(fsys, "go.sum")
				return fsys
			},
			want:       []warning{{"MissingGoSum", "go.mod has requirements but no go.sum: run go mod tidy", "2:10"}}, // at version: dir is defaulted
			wantRead:   []string{"go.mod"},
			wantStatus: "1",
		},
		{
			desc: "root on scratch with TZ: each rule at its field",
			files: func(*testing.T) fstest.MapFS {
				return fstest.MapFS{
					DefaultFilename: {Data: []byte("version: 1\nmain: .\nbase: scratch\nimage:\n  user: root\n  env: {TZ: UTC}\n")},
					"go.mod":        {Data: []byte("module example.com/app\n\ngo 1.26\n")},
					"main.go":       {Data: []byte("package main\n\nfunc main() {}\n")},
				}
			},
			want: []warning{
				{"RootUser", "the image runs as root; drop `user:` for nonroot (65532)", "5:9"},
				{"TZWithoutTZData", "TZ is set but scratch has no time zone database: add `tzdata: true`", "6:13"},
				{"ScratchWithoutCAs", "scratch has no CA certificates: add `cacerts: true` if a binary speaks TLS", "3:7"},
			},
			wantRead:   []string{"go.mod"},
			wantStatus: "1",
		},
		{
			desc: "a module dir without go.mod: nothing to read, nothing to report",
			files: func(t *testing.T) fstest.MapFS {
				fsys := deps(t)
				fsys[DefaultFilename] = &fstest.MapFile{Data: []byte("version: 1\ndir: sub\nmain: .\n")}
				return fsys
			},
			wantStatus: "0",
		},
		{
			desc: "a vendored module: the build context is not read",
			files: func(*testing.T) fstest.MapFS {
				return fstest.MapFS{
					DefaultFilename:      {Data: []byte("version: 1\nmain: .\nvendor: true\n")},
					"go.mod":             {Data: []byte("module example.com/app\n\ngo 1.26\n\nrequire example.com/dep v1.0.0\n")},
					"vendor/modules.txt": {Data: []byte("# example.com/dep v1.0.0\n## explicit\n")},
				}
			},
			wantStatus: "0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			files := tt.files(t)
			c := newFakeClientFiles(files, map[string]string{"requestid": lint.RequestLint})
			var l lint.LintResults
			res := subrequest(t, c, &l)
			var got []warning
			for _, w := range l.Warnings {
				if w.URL != check.DocsURL+"#"+strings.ToLower(w.RuleName) || w.Description != check.Rules[w.RuleName] {
					t.Errorf("%s: url %q, description %q", w.RuleName, w.URL, w.Description)
				}
				got = append(got, warning{w.RuleName, w.Detail, at(w.Location)})
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("warnings (-got +want):\n%s", diff)
			}
			if s := string(res.Metadata["result.statuscode"]); s != tt.wantStatus {
				t.Errorf("status code %s, want %s", s, tt.wantStatus)
			}
			if len(l.Sources) != 1 || l.Sources[0].Filename != DefaultFilename || string(l.Sources[0].Data) != string(files[DefaultFilename].Data) {
				t.Errorf("sources = %v, want the Goimagefile", l.Sources)
			}
			if diff := cmp.Diff(contextFilesRead(t, c), tt.wantRead); diff != "" {
				t.Errorf("files read from the build context (-got +want):\n%s", diff)
			}
		})
	}
}

// contextFilesRead are the files of the build context that solves transferred, but for
// .dockerignore, which dockerui reads for any use of the context.
func contextFilesRead(t *testing.T, c *fakeClient) []string {
	t.Helper()
	files, err := c.Transferred("context")
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(files, func(f string) bool { return f == ".dockerignore" })
}

// TestSubrequestDescribe checks that the frontend describes the subrequests it answers, as
// dockerui lists them, and refuses one it does not.
func TestSubrequestDescribe(t *testing.T) {
	var got []subrequests.Request
	subrequest(t, newFakeClient(t, depsDir, map[string]string{"requestid": subrequests.RequestSubrequestsDescribe}), &got)
	var names []string
	for _, r := range got {
		names = append(names, r.Name)
	}
	want := []string{outline.RequestSubrequestsOutline, targets.RequestTargets, subrequests.RequestSubrequestsDescribe}
	if diff := cmp.Diff(names, want); diff != "" {
		t.Errorf("subrequests (-got +want):\n%s", diff)
	}

	res, err := Build(context.Background(), newFakeClient(t, depsDir, map[string]string{"requestid": "frontend.convertllb"}))
	var unsupported *errdefs.UnsupportedSubrequestError
	if !errors.As(err, &unsupported) {
		t.Errorf("convertllb subrequest: Build = %v, %v; want it refused as unsupported", res, err)
	}
}
