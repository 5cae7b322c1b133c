package frontend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
)

// errorRanges are the Goimagefile positions ("line:col", as spec.Pos prints them) an error
// carries for buildctl and buildx to show, each source checked to be the Goimagefile.
func errorRanges(t *testing.T, err error, goimagefile string) []string {
	t.Helper()
	var got []string
	for _, src := range errdefs.Sources(err) {
		if src.Info.Filename != DefaultFilename || string(src.Info.Data) != goimagefile || src.Info.Language != "yaml" {
			t.Errorf("error source: %q (%s), %d bytes; want the Goimagefile", src.Info.Filename, src.Info.Language, len(src.Info.Data))
		}
		for _, r := range src.Ranges {
			got = append(got, fmt.Sprintf("%d:%d", r.Start.Line, r.Start.Character+1))
		}
	}
	return got
}

// TestBuildErrors checks that a Build that fails says why, and, when a field of the
// Goimagefile is at fault, points at its line: problems Parse finds, and those the
// conversion finds for a platform or an image.
func TestBuildErrors(t *testing.T) {
	tests := []struct {
		desc        string
		goimagefile string
		opts        map[string]string
		wantErr     string   // a part of the message
		wantRanges  []string // the positions the error carries
	}{
		{
			desc:        "an unknown field",
			goimagefile: "# syntax=goimage/frontend:1\nversion: 1\nmain: ./cmd/app\nbse: scratch\n",
			wantErr:     `unknown field`,
			wantRanges:  []string{"4:1"},
		},
		{
			desc:        "two problems, each at its line",
			goimagefile: "version: 1\nmian: ./cmd/app\nbase: scratch\nimage:\n  usr: root\n",
			wantErr:     "2 problems",
			wantRanges:  []string{"2:1", "5:3"},
		},
		{
			desc:        "a binary named as the test target",
			goimagefile: "version: 1\nbinaries:\n  - name: app\n    main: ./cmd/app\n  - name: test\n    main: ./cmd/test\n",
			wantErr:     "test",
			wantRanges:  []string{"5:11"},
		},
		{
			desc:        "cgo cannot cross-compile: the conversion's error, at the cgo line",
			goimagefile: "version: 1\nmain: ./cmd/app\ncgo: true\n",
			opts:        map[string]string{"platform": "linux/arm64"},
			wantErr:     "cgo: true cannot cross-compile from linux/amd64 to linux/arm64",
			wantRanges:  []string{"3:6"},
		},
		{
			desc:        "a base the registry does not have",
			goimagefile: "version: 1\nmain: ./cmd/app\nbase: example.com/missing:1\n",
			wantErr:     "base image example.com/missing:1: offline gateway: no configuration of example.com/missing:1",
			wantRanges:  []string{"3:7"},
		},
		{
			desc:        "a builder the registry does not have",
			goimagefile: "version: 1\nmain: ./cmd/app\ngo: \"1.19\"\n",
			wantErr:     "builder image golang:1.19",
			wantRanges:  []string{"3:5"},
		},
		{
			desc:        "a SOURCE_DATE_EPOCH that is not a number",
			goimagefile: "version: 1\nmain: ./cmd/app\n",
			opts:        map[string]string{"build-arg:SOURCE_DATE_EPOCH": "yesterday"},
			wantErr:     `SOURCE_DATE_EPOCH: want seconds since 1970, got "yesterday"`,
		},
		{
			desc:        "a target that is not a binary",
			goimagefile: "version: 1\nmain: ./cmd/app\n",
			opts:        map[string]string{"target": "ap"},
			wantErr:     `target "ap": not a binary of this Goimagefile; targets are app, test`,
		},
		{
			desc:        "no Goimagefile",
			goimagefile: "version: 1\nmain: ./cmd/app\n",
			opts:        map[string]string{"filename": "build/Goimagefile"},
			wantErr:     "read Goimagefile",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := newFakeClientFiles(fstest.MapFS{DefaultFilename: {Data: []byte(tt.goimagefile)}}, tt.opts)
			res, err := Build(context.Background(), c)
			if err == nil {
				t.Fatalf("Build = %v, want an error", res)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Build error %q, want it to say %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(errorRanges(t, err, tt.goimagefile), tt.wantRanges); diff != "" {
				t.Errorf("error positions (-got +want):\n%s", diff)
			}
		})
	}
}

// TestWithSource checks which errors withSource locates: spec errors with a position, alone,
// in a list or wrapped; others, and any error without a source map, are returned as they are.
func TestWithSource(t *testing.T) {
	const goimagefile = "version: 1\nmain: ./cmd/app\nbase: scratch\n"
	// As dockerui makes it: the source map of the local source the file was read from, with
	// that source's definition (withSource needs one).
	local := llb.Local("dockerfile")
	sm := llb.NewSourceMap(&local, DefaultFilename, "yaml", []byte(goimagefile))
	def, err := local.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sm.Definition = def
	at := func(line, col int) *spec.FieldError {
		return &spec.FieldError{Pos: spec.Pos{Line: line, Column: col}, Path: "base", Msg: "wrong"}
	}
	tests := []struct {
		desc       string
		err        error
		sm         *llb.SourceMap
		wantRanges []string // nil: the error carries no source
	}{
		{desc: "a field error", err: at(3, 7), sm: sm, wantRanges: []string{"3:7"}},
		{desc: "a wrapped field error", err: fmt.Errorf("convert: %w", at(2, 7)), sm: sm, wantRanges: []string{"2:7"}},
		{desc: "a list: each position, the unknown left out", err: spec.Errors{at(1, 1), {Msg: "somewhere"}, at(3, 1)}, sm: sm, wantRanges: []string{"1:1", "3:1"}},
		{desc: "a field error without a position", err: &spec.FieldError{Msg: "the file is too big"}, sm: sm},
		{desc: "another error", err: errors.New("solve failed"), sm: sm},
		{desc: "no source map", err: at(3, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := withSource(tt.err, tt.sm)
			if got.Error() != tt.err.Error() {
				t.Errorf("withSource(%v) says %q", tt.err, got)
			}
			if diff := cmp.Diff(errorRanges(t, got, goimagefile), tt.wantRanges); diff != "" {
				t.Errorf("error positions (-got +want):\n%s", diff)
			}
		})
	}
}

// TestBuildSolveErrors checks that a step that fails fails the Build with BuildKit's own
// error (it carries the step and its Goimagefile line already), said in which part of the
// build it happened.
func TestBuildSolveErrors(t *testing.T) {
	tests := []struct {
		desc    string
		opts    map[string]string
		step    string // the step whose solve fails
		wantErr string // the message, stepErr's text standing for %v
	}{
		{desc: "reading the Goimagefile", step: "[internal] load build definition from Goimagefile", wantErr: "read Goimagefile: failed to resolve dockerfile: %v"},
		{desc: "the image", step: "copy /deps into the image", wantErr: "%v"},
		{desc: "the SBOM", opts: map[string]string{"attest:sbom": ""}, step: "SBOM of /deps linux/amd64", wantErr: "SBOM: %v"},
		{desc: "the check reading go.mod", opts: map[string]string{"requestid": "frontend.lint"}, step: "[check] load go.mod and go.sum", wantErr: "read go.mod and go.sum: %v"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			stepErr := errors.New("process did not complete successfully: exit code: 1")
			c := newFakeClient(t, depsDir, tt.opts)
			c.Fail = func(def *pb.Definition) error {
				if _, step, err := defGraph(def); err != nil || step == tt.step {
					return stepErr
				}
				return nil
			}
			res, err := Build(context.Background(), c)
			if !errors.Is(err, stepErr) {
				t.Fatalf("Build = %v, %v; want the error of %q", res, err, tt.step)
			}
			if want := fmt.Sprintf(tt.wantErr, stepErr); err.Error() != want {
				t.Errorf("Build error %q, want %q", err, want)
			}
		})
	}
}
