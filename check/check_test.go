package check

import (
	"testing"
	"testing/fstest"

	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
)

func TestRun(t *testing.T) {
	withDeps := fstest.MapFS{"go.mod": {Data: []byte("module m\n\nrequire example.com/x v1.0.0\n")}}
	tests := []struct {
		desc        string
		goimagefile string
		module      fstest.MapFS
		want        []string // rule@line:col
	}{
		{desc: "a clean file", goimagefile: "version: 1\nmain: .\n", want: nil},
		{desc: "root", goimagefile: "version: 1\nmain: .\nimage: {user: root}\n", want: []string{"RootUser@3:15"}},
		{desc: "unpinned builder and base", goimagefile: "version: 1\nmain: .\nbuilder: my/golang\nbase: alpine\n", want: []string{"UnpinnedImage@3:10", "UnpinnedImage@4:7"}},
		{desc: "pinned images", goimagefile: "version: 1\nmain: .\nbuilder: my/golang:1.26\nbase: alpine@sha256:" + sha + "\n", want: nil},
		{desc: "TZ on scratch", goimagefile: "version: 1\nmain: .\nbase: scratch\ncacerts: true\nimage: {env: {TZ: UTC}}\n", want: []string{"TZWithoutTZData@5:19"}},
		{desc: "scratch without CA certificates", goimagefile: "version: 1\nmain: .\nbase: scratch\n", want: []string{"ScratchWithoutCAs@3:7"}},
		{desc: "requirements without go.sum", goimagefile: "version: 1\nmain: .\n", module: withDeps, want: []string{"MissingGoSum@1:10"}},
		{desc: "requirements with go.sum", goimagefile: "version: 1\nmain: .\n", module: fstest.MapFS{"go.mod": withDeps["go.mod"], "go.sum": {}}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s, err := spec.Parse([]byte(tt.goimagefile))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			var module Files
			if tt.module != nil {
				module = tt.module
			}
			p, err := plan.Resolve(s, plan.Inputs{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range Run(p, module) {
				got = append(got, w.Rule+"@"+w.Range.Start.String())
				if w.Description == "" || w.Message == "" {
					t.Errorf("%s: empty description or message", w.Rule)
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("warnings (-got +want):\n%s", diff)
			}
		})
	}
}

const sha = "0000000000000000000000000000000000000000000000000000000000000000"
