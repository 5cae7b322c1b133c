package bench

import (
	"testing"

	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
)

func koPlan(t *testing.T, goimagefile string) *plan.Plan {
	t.Helper()
	s, err := spec.Parse([]byte(goimagefile))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Resolve(s, plan.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKoBase(t *testing.T) {
	tests := []struct {
		desc, base, want string
	}{
		{desc: "distroless, from gcr.io", base: "distroless", want: "127.0.0.1:5000/distroless/static-debian12:nonroot"},
		{desc: "scratch, which ko cannot build on", base: "scratch", want: "127.0.0.1:5000/distroless/static-debian12:nonroot"},
		{desc: "an official image of Docker Hub", base: "alpine:3", want: "127.0.0.1:5000/library/alpine:3"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := koBase(koPlan(t, "version: 1\nmain: .\nbase: "+tc.base+"\n"), "127.0.0.1:5000")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("koBase = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestKoConfig(t *testing.T) {
	p := koPlan(t, "version: 1\nbinaries:\n  - main: ./cmd/server\n  - main: ./cmd/client\n    tags: [netgo]\n")
	want := `defaultBaseImage: base
builds:
- id: server
  main: ./cmd/server
  flags: [-trimpath]
  ldflags: [-s, -w]
- id: client
  main: ./cmd/client
  flags: [-trimpath, -tags=netgo]
  ldflags: [-s, -w]
`
	if diff := cmp.Diff(koConfig(p, "base"), want); diff != "" {
		t.Errorf(".ko.yaml (-got +want):\n%s", diff)
	}
}
