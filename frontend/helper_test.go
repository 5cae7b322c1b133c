package frontend

import (
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/goimage/goimage/frontend/offline"
	goimagellb "github.com/goimage/goimage/llb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestPrebuiltHelper checks where the build's goimage-helper comes from: the frontend's own
// image (the gateway's source option), pinned to its digest and mounted at the directory of
// this frontend's helper source, when that image has it for the build platform; else a step
// of the graph builds it.
func TestPrebuiltHelper(t *testing.T) {
	const frontendRef = "docker.io/goimage/frontend:1"
	native := ocispecs.Platform{OS: "linux", Architecture: runtime.GOARCH}
	other := ocispecs.Platform{OS: "linux", Architecture: "s390x"}
	withHelper := fstest.MapFS{strings.TrimPrefix(goimagellb.HelperDir(), "/") + "/goimage-helper": {Data: []byte("\x7fELF"), Mode: 0o755}}
	anotherHelper := fstest.MapFS{"goimage/helper/0123456789abcdef/goimage-helper": {Data: []byte("\x7fELF"), Mode: 0o755}}
	tests := []struct {
		desc     string
		source   string // the gateway's source option
		files    fstest.MapFS
		platform ocispecs.Platform
		prebuilt bool
	}{
		{"the frontend's image has this frontend's helper", frontendRef, withHelper, native, true},
		{"the frontend's image has another helper: a reference that moved", frontendRef, anotherHelper, native, false},
		{"no source option: a frontend run some other way", "", withHelper, native, false},
		{"a build platform other than the frontend's", frontendRef, withHelper, other, false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := newFakeClient(t, depsDir, map[string]string{frontendSourceKey: tt.source})
			c.Platform = tt.platform
			c.Images[frontendRef] = offline.Image{Digest: digest.FromString("frontend"), Files: tt.files}
			res := build(t, c)
			ops, err := decodeOps(res.Ref.(*fakeRef).Definition)
			if err != nil {
				t.Fatal(err)
			}
			names := map[digest.Digest]string{}
			for d, meta := range res.Ref.(*fakeRef).Definition.Metadata {
				names[digest.Digest(d)] = meta.GetDescription()[customName]
			}
			var built, mounts int
			for d, op := range ops {
				if names[d] == "[internal] build goimage-helper" {
					built++
				}
				e := op.GetExec()
				if e == nil {
					continue
				}
				for _, m := range e.Mounts {
					if m.Dest != "/goimage/bin" || m.Input < 0 { // the helper build's own output
						continue
					}
					mounts++
					from := ops[digest.Digest(op.Inputs[m.Input].Digest)]
					fromImage := from.GetSource().GetIdentifier() == "docker-image://"+frontendRef+"@"+digest.FromString("frontend").String()
					if tt.prebuilt && (!fromImage || m.Selector != goimagellb.HelperDir() || !m.Readonly) {
						t.Errorf("%s mounts the helper from %v, selector %q: want the frontend's image pinned, at %s, read-only",
							names[d], from.GetOp(), m.Selector, goimagellb.HelperDir())
					}
					if !tt.prebuilt && (fromImage || m.Selector != "") {
						t.Errorf("%s mounts the helper from the frontend's image: want the helper build", names[d])
					}
				}
			}
			if mounts == 0 {
				t.Fatal("no step mounts the helper")
			}
			if want := map[bool]int{true: 0, false: 1}[tt.prebuilt]; built != want {
				t.Errorf("%d helper builds in the graph, want %d", built, want)
			}
		})
	}
}
