package llb

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// copyAction is what the test reads from one copy of the final file op.
type copyAction struct {
	Src, Dest  string
	UID, GID   uint32
	Mode       int32
	Timestamp  int64
	From       string // the custom name of the op the binary comes from
	FromOutput bool   // it reads that op's /out output
}

// TestFinalStage checks the final file op: every binary copied from its compile step's /out
// onto the base, owned by root, mode 0755, stamped with the epoch.
func TestFinalStage(t *testing.T) {
	epoch := time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("CET", 3600))
	tests := []struct {
		desc        string
		goimagefile string
		epoch       *time.Time
		wantName    string
		wantBase    string // the image source under the binaries; "" for scratch
		wantCopies  []copyAction
	}{
		{
			desc:        "scratch, one binary, no epoch",
			goimagefile: minimal + "base: scratch\n",
			wantName:    "copy /app into the image",
			wantCopies: []copyAction{
				{Src: "/app", Dest: "/app", Mode: 0o755, Timestamp: 0, From: "go build ./cmd/app linux/arm64", FromOutput: true},
			},
		},
		{
			desc:        "distroless by default, epoch set",
			goimagefile: minimal,
			epoch:       &epoch,
			wantName:    "copy /app into the image",
			wantBase:    "docker-image://gcr.io/distroless/static-debian12:nonroot",
			wantCopies: []copyAction{
				{Src: "/app", Dest: "/app", Mode: 0o755, Timestamp: epoch.UnixNano(), From: "go build ./cmd/app linux/arm64", FromOutput: true},
			},
		},
		{
			desc:        "an image reference, three binaries",
			goimagefile: "version: 1\nbase: example.com/base:1\nbinaries:\n  - main: ./cmd/api\n  - name: w\n    main: ./cmd/worker\n  - main: ./cmd/cli\n",
			epoch:       &epoch,
			wantName:    "copy /api /w /cli into the image",
			wantBase:    "docker-image://example.com/base:1",
			wantCopies: []copyAction{
				{Src: "/api", Dest: "/api", Mode: 0o755, Timestamp: epoch.UnixNano(), From: "go build ./cmd/api linux/arm64", FromOutput: true},
				{Src: "/w", Dest: "/w", Mode: 0o755, Timestamp: epoch.UnixNano(), From: "go build ./cmd/worker linux/arm64", FromOutput: true},
				{Src: "/cli", Dest: "/cli", Mode: 0o755, Timestamp: epoch.UnixNano(), From: "go build ./cmd/cli linux/arm64", FromOutput: true},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			opt := crossOpts(arm64)
			opt.Epoch = tc.epoch
			_, g := convert(t, tc.goimagefile, opt)
			final := g.result()
			if final.name() != tc.wantName {
				t.Errorf("final op is %s, want %q", final, tc.wantName)
			}
			fo := final.file()
			if len(fo.Actions) != len(tc.wantCopies) {
				t.Fatalf("%d actions, want %d", len(fo.Actions), len(tc.wantCopies))
			}

			var got []copyAction
			for i, a := range fo.Actions {
				cp := a.GetCopy()
				if cp == nil {
					t.Fatalf("action %d is not a copy: %v", i, a)
				}
				ca := copyAction{Src: cp.Src, Dest: cp.Dest, Mode: cp.Mode, Timestamp: cp.Timestamp}
				if cp.Owner == nil || cp.Owner.User == nil || cp.Owner.Group == nil {
					t.Errorf("action %d has no owner: %v", i, cp.Owner)
				} else {
					ca.UID, ca.GID = byID(t, cp.Owner.User), byID(t, cp.Owner.Group)
				}
				from, idx := final.input(a.SecondaryInput)
				ca.From = from.name()
				if from.op.GetExec() != nil {
					ca.FromOutput = idx == from.mount("/out").Output
				}
				got = append(got, ca)

				// Each copy lands on the previous one's result; the first on the base.
				if i > 0 {
					if want := int64(len(final.op.Inputs)) + int64(i-1); a.Input != want {
						t.Errorf("action %d input = %d, want the previous action's result %d", i, a.Input, want)
					}
				}
				if want := int64(pb.SkipOutput); i < len(fo.Actions)-1 && a.Output != want {
					t.Errorf("action %d output = %d, want none", i, a.Output)
				}
			}
			if diff := cmp.Diff(got, tc.wantCopies); diff != "" {
				t.Errorf("copies (-got +want):\n%s", diff)
			}

			// The base.
			first := fo.Actions[0]
			if tc.wantBase == "" {
				if first.Input != int64(pb.Empty) {
					t.Errorf("first copy lands on input %d, want scratch", first.Input)
				}
			} else {
				base, _ := final.input(first.Input)
				if id := base.source().Identifier; id != tc.wantBase {
					t.Errorf("base = %s, want %s", id, tc.wantBase)
				}
				if got := platformOf(base.op); got != "linux/arm64" {
					t.Errorf("base platform = %s, want the target linux/arm64", got)
				}
			}
			wantImages := []string{"docker-image://docker.io/library/golang:1.26"}
			if tc.wantBase != "" {
				wantImages = append(wantImages, tc.wantBase)
			}
			if diff := cmp.Diff(g.sources("docker-image://"), slices.Sorted(slices.Values(wantImages))); diff != "" {
				t.Errorf("images in the graph (-got +want):\n%s", diff)
			}
		})
	}
}

// TestFinalStageNoBuilderSnapshot checks that nothing of the builder reaches the image: the
// final op reads only the base and the compile steps' /out outputs.
func TestFinalStageNoBuilderSnapshot(t *testing.T) {
	_, g := convert(t, determinismSpec, crossOpts(arm64))
	final := g.result()
	for i, in := range final.op.Inputs {
		n, idx := final.input(int64(i))
		switch {
		case n.op.GetSource() != nil:
			if id := n.source().Identifier; id != "docker-image://gcr.io/distroless/static-debian12:nonroot" {
				t.Errorf("input %d is the source %s, want only the base", i, id)
			}
		case n.op.GetExec() != nil:
			if out := n.mount("/out").Output; idx != out {
				t.Errorf("input %d reads output %d of %s, want its /out output %d (not the builder's root)", i, in.Index, n, out)
			}
		default:
			t.Errorf("input %d is unexpected op %s", i, n)
		}
	}
}

func byID(t *testing.T, u *pb.UserOpt) uint32 {
	t.Helper()
	id, ok := u.User.(*pb.UserOpt_ByID)
	if !ok {
		t.Errorf("owner %v is not numeric", u)
		return 1<<32 - 1
	}
	return id.ByID
}

// baseSignal is an ImageSource that closes looked when the base image is resolved.
type baseSignal struct {
	*fakeImages
	base   string
	looked chan struct{}
	once   sync.Once
}

func (b *baseSignal) Image(ctx context.Context, ref string, p ocispecs.Platform) (llb.State, *dockerspec.DockerOCIImage, error) {
	if ref == b.base {
		b.once.Do(func() { close(b.looked) })
	}
	return b.fakeImages.Image(ctx, ref, p)
}

// listAfter is a StateReader whose read of the list waits until after is closed.
type listAfter struct {
	*graphReader
	after <-chan struct{}
}

func (r *listAfter) ReadFile(ctx context.Context, st llb.State, name string) ([]byte, error) {
	select {
	case <-r.after:
	case <-time.After(10 * time.Second):
		return nil, errors.New("the base image was not looked up before the list was read")
	}
	return r.graphReader.ReadFile(ctx, st, name)
}

// TestBaseResolvedWhileListing checks that the base image is resolved while the frontend
// reads the list, not after it: a registry round trip off a no-op build's critical path.
func TestBaseResolvedWhileListing(t *testing.T) {
	opt := moduleCompileOpts(nil)
	images := &baseSignal{fakeImages: golangImages(defaultPath), looked: make(chan struct{})}
	images.base = resolve(t, parse(t, minimal), nil).Base.Ref
	if images.base == "" {
		t.Fatal("the minimal Goimagefile has no base image")
	}
	opt.Images = images
	opt.Reader = &listAfter{graphReader: &graphReader{graph: textGraph("v0.41.0")}, after: images.looked}
	if _, err := Convert(context.Background(), resolve(t, parse(t, minimal), nil), opt); err != nil {
		t.Fatal(err)
	}
}
