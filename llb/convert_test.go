package llb

import (
	"context"
	"errors"
	"path"
	"slices"
	"testing"

	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
)

// TestSpecValuesReachArgvVerbatim checks that what the spec accepts with shell
// metacharacters reaches argv and env as it is: there is no shell to interpret it.
func TestSpecValuesReachArgvVerbatim(t *testing.T) {
	const goimagefile = `version: 1
binaries:
  - name: app
    main: "./cmd/a;rm -rf $(id) ` + "`id`" + ` && x|y>z"
    ldflags:
      - "-X main.a=;rm -X main.b=$(id) -X main.c=` + "`id`" + `"
      - "-X main.d=$HOME|cat&&echo>/etc/passwd"
goproxy: "https://proxy.example.com/$(id);x"
goprivate: "*.corp/` + "`id`" + `"
env:
  EVIL: "$(rm -rf /); echo pwned"
`
	_, g := convert(t, goimagefile, crossOpts(arm64))
	main := "./cmd/a;rm -rf $(id) `id` && x|y>z"
	n := g.named("go build " + main + " linux/arm64")
	want := []string{
		"go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -buildid= -X main.a=;rm -X main.b=$(id) -X main.c=`id` -X main.d=$HOME|cat&&echo>/etc/passwd",
		"-o", "/out/app", main, // one argv word, never quoted: go build reads it as it is
	}
	if diff := cmp.Diff(n.exec().Meta.Args, inWorkspace(want)); diff != "" {
		t.Errorf("compile args (-got +want):\n%s", diff)
	}
	dl := g.named(downloadName)
	wantEnv := map[string]string{
		"GOPROXY":   "https://proxy.example.com/$(id);x",
		"GOPRIVATE": "*.corp/`id`",
		"EVIL":      "$(rm -rf /); echo pwned",
	}
	if diff := cmp.Diff(pick(dl.env(), "GOPROXY", "GOPRIVATE", "EVIL"), wantEnv); diff != "" {
		t.Errorf("download env (-got +want):\n%s", diff)
	}
	if got := n.env()["EVIL"]; got != wantEnv["EVIL"] {
		t.Errorf("compile EVIL = %q, want %q", got, wantEnv["EVIL"])
	}
	assertNoShell(t, g)
}

// shells are commands that would interpret a string.
var shells = []string{"sh", "bash", "ash", "dash", "zsh", "ksh"}

// assertNoShell fails if any exec op in the graph runs a shell or passes -c.
func assertNoShell(t *testing.T, g *graph) {
	t.Helper()
	execs := g.execs()
	if len(execs) == 0 {
		t.Fatalf("no exec ops")
	}
	for _, n := range execs {
		args := n.exec().Meta.Args
		if len(args) == 0 {
			t.Errorf("%s has no args", n)
			continue
		}
		if slices.Contains(shells, path.Base(args[0])) {
			t.Errorf("%s runs %q: args %q", n, args[0], args)
		}
		if slices.Contains(args, "-c") {
			t.Errorf("%s passes -c: args %q", n, args)
		}
	}
}

// TestNoShellAnywhere checks every exec op of graphs exercising every feature.
func TestNoShellAnywhere(t *testing.T) {
	tests := []struct {
		desc        string
		goimagefile string
		args        map[string]string
		opt         Options
	}{
		{desc: "minimal", goimagefile: minimal},
		{
			desc: "cross, multi-binary, everything", goimagefile: determinismSpec,
			args: map[string]string{"VERSION": "; sh -c 'id'", "COMMIT": "$(id)"},
			opt:  Options{BuildPlatform: amd64, TargetPlatform: &armv7},
		},
		{desc: "cgo native", goimagefile: minimal + "cgo: true\n", opt: Options{BuildPlatform: amd64}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, g := convertWith(t, tc.goimagefile, tc.args, tc.opt)
			assertNoShell(t, g)
		})
	}
}

// TestConvertRefusesPlanErrors checks that a plan whose build args left flag entries
// unreadable never builds: its binaries' flags would lack those entries.
func TestConvertRefusesPlanErrors(t *testing.T) {
	s := parse(t, "version: 1\nbinaries:\n  - main: ./cmd/app\n    gcflags: [\"${GCF}\"]\n")
	p, err := plan.Resolve(s, plan.Inputs{BuildArgs: map[string]string{"GCF": "all=-B"}})
	if err == nil || p == nil {
		t.Fatalf("Resolve = %v, %v; want a plan and its error", p, err)
	}
	res, err := Convert(context.Background(), p, crossOpts(arm64))
	var errs spec.Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Path != "binaries[0].gcflags[0]" {
		t.Fatalf("Convert = %v, %v; want the plan's error at binaries[0].gcflags[0]", res, err)
	}
	if _, err := ConvertTest(context.Background(), p, crossOpts(arm64)); err != nil {
		t.Errorf("ConvertTest: %v; go test reads none of the binaries' flags", err)
	}
}
