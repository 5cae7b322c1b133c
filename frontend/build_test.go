package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/containerd/platforms"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	commonexptypes "github.com/moby/buildkit/exporter/exptypes"
	"github.com/moby/buildkit/frontend/gateway/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/solver/result"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
)

func TestBuildArgs(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	tests := []struct {
		desc  string
		args  map[string]string
		opts  map[string]string
		epoch *time.Time
		want  map[string]string
	}{
		{
			desc: "nothing known: no revision, the Unix epoch",
			want: map[string]string{RevisionArg: "", DateArg: "1970-01-01T00:00:00Z"},
		},
		{
			desc: "the revision buildx sends and SOURCE_DATE_EPOCH",
			args: map[string]string{"VERSION": "1.2.3"}, opts: map[string]string{"vcs:revision": "abc123"}, epoch: &epoch,
			want: map[string]string{"VERSION": "1.2.3", RevisionArg: "abc123", DateArg: "2023-11-14T22:13:20Z"},
		},
		{
			desc: "build args of the same names win",
			args: map[string]string{RevisionArg: "v2", DateArg: "today"}, opts: map[string]string{"vcs:revision": "abc123"}, epoch: &epoch,
			want: map[string]string{RevisionArg: "v2", DateArg: "today"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if diff := cmp.Diff(buildArgs(tt.args, tt.opts, tt.epoch), tt.want); diff != "" {
				t.Errorf("buildArgs (-got +want):\n%s", diff)
			}
		})
	}
}

func TestOCILabels(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	got := ociLabels(map[string]string{"vcs:source": "https://example.com/app.git", "vcs:revision": "abc123"}, &epoch)
	want := map[string]string{
		"org.opencontainers.image.source":   "https://example.com/app.git",
		"org.opencontainers.image.revision": "abc123",
		"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("labels (-got +want):\n%s", diff)
	}
	if got := ociLabels(nil, nil); len(got) != 0 {
		t.Errorf("labels without VCS data or epoch = %v, want none", got)
	}
}

// The directories of the Goimagefiles the Build tests read.
const (
	depsDir    = "../examples/deps"
	serviceDir = "../testdata/projects/service"
)

// build runs Build against a fake gateway and fails the test on an error.
func build(t *testing.T, c *fakeClient) *client.Result {
	t.Helper()
	res, err := Build(context.Background(), c)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return res
}

// imageSummary is what a test checks of one platform's image in a Build result.
type imageSummary struct {
	Platform   string
	Entrypoint []string
	User       string
	Env        []string
	WorkingDir string
	Labels     map[string]string
	Created    string
	Epoch      string // the exporter's source.date.epoch, "" for none
	HasBase    bool   // the base image's configuration is in the result
}

// resultImages are the images of a Build result by platform id, read as the image exporter
// reads them: refs.platforms, then one reference and configuration per platform, under
// keys suffixed with the platform id when the build asked for several.
func resultImages(t *testing.T, res *client.Result) map[string]imageSummary {
	t.Helper()
	var ps exptypes.Platforms
	if err := json.Unmarshal(res.Metadata[exptypes.ExporterPlatformsKey], &ps); err != nil {
		t.Fatalf("%s: %v", exptypes.ExporterPlatformsKey, err)
	}
	multi := len(res.Refs) > 0
	if multi == (res.Ref != nil) {
		t.Fatalf("result has a single ref (%v) and refs by platform (%v)", res.Ref != nil, slices.Sorted(maps.Keys(res.Refs)))
	}
	out := map[string]imageSummary{}
	for _, p := range ps.Platforms {
		suffix, ref := "", res.Ref
		if multi {
			suffix, ref = "/"+p.ID, res.Refs[p.ID]
		}
		if ref == nil {
			t.Fatalf("no reference for %s", p.ID)
		}
		var img dockerspec.DockerOCIImage
		if err := json.Unmarshal(res.Metadata[exptypes.ExporterImageConfigKey+suffix], &img); err != nil {
			t.Fatalf("image config of %s: %v", p.ID, err)
		}
		s := imageSummary{
			Platform:   platforms.Format(img.Platform),
			Entrypoint: img.Config.Entrypoint,
			User:       img.Config.User,
			Env:        img.Config.Env,
			WorkingDir: img.Config.WorkingDir,
			Labels:     img.Config.Labels,
			Epoch:      string(res.Metadata[commonexptypes.ExporterEpochKey+suffix]),
			HasBase:    res.Metadata[exptypes.ExporterImageBaseConfigKey+suffix] != nil,
		}
		if img.Created != nil {
			s.Created = img.Created.Format(time.RFC3339)
		}
		out[p.ID] = s
	}
	return out
}

// Image environments of the fake registry's images with the Goimagefile's TZ.
var (
	distrolessEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "TZ=UTC"}
	scratchEnv    = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TZ=Europe/Paris"}
)

// depsImage is examples/deps's image for a platform: distroless, nonroot, its binary the
// entrypoint, the Unix epoch as its time.
func depsImage(platform string) imageSummary {
	return imageSummary{
		Platform: platform, Entrypoint: []string{"/deps"}, User: "65532:65532", Env: distrolessEnv,
		WorkingDir: "/home/nonroot", Created: "1970-01-01T00:00:00Z", HasBase: true,
	}
}

// TestBuildImage checks the images Build returns: one per target platform, whichever way
// the platforms are asked for, with the configuration the Goimagefile and the base give,
// and the images resolved for the right platforms, each once: the builder always for the
// build platform (the compiler never runs under emulation), the base for each target.
func TestBuildImage(t *testing.T) {
	const golang = "docker.io/library/golang:1.26 linux/amd64"
	tests := []struct {
		desc         string
		dir          string            // the build context, or files
		files        fstest.MapFS      // when dir is empty
		opts         map[string]string // frontend attributes
		want         map[string]imageSummary
		wantResolved []string
	}{
		{
			desc:         "examples/deps for the worker's platform",
			dir:          depsDir,
			want:         map[string]imageSummary{"linux/amd64": depsImage("linux/amd64")},
			wantResolved: []string{golang, "gcr.io/distroless/static-debian12:nonroot linux/amd64"},
		},
		{
			desc: "examples/deps for two platforms",
			dir:  depsDir,
			opts: map[string]string{"platform": "linux/amd64,linux/arm64"},
			want: map[string]imageSummary{"linux/amd64": depsImage("linux/amd64"), "linux/arm64": depsImage("linux/arm64")},
			wantResolved: []string{
				golang,
				"gcr.io/distroless/static-debian12:nonroot linux/amd64",
				"gcr.io/distroless/static-debian12:nonroot linux/arm64",
			},
		},
		{
			desc: "examples/deps for one other platform",
			dir:  depsDir,
			opts: map[string]string{"platform": "linux/arm64"},
			want: map[string]imageSummary{"linux/arm64": depsImage("linux/arm64")},
			wantResolved: []string{
				golang,
				"gcr.io/distroless/static-debian12:nonroot linux/arm64",
			},
		},
		{
			desc: "the Goimagefile's platforms when the build names none",
			files: fstest.MapFS{"Goimagefile": {Data: []byte(
				"version: 1\nmain: ./cmd/deps\nimage: {env: {TZ: UTC}}\nplatforms: [linux/arm64, linux/arm/v7]\n")}},
			want: map[string]imageSummary{"linux/arm64": depsImage("linux/arm64"), "linux/arm/v7": depsImage("linux/arm/v7")},
			wantResolved: []string{
				golang,
				"gcr.io/distroless/static-debian12:nonroot linux/arm/v7",
				"gcr.io/distroless/static-debian12:nonroot linux/arm64",
			},
		},
		{
			desc: "SOURCE_DATE_EPOCH and the VCS data buildx sends",
			dir:  depsDir,
			opts: map[string]string{
				"build-arg:SOURCE_DATE_EPOCH": "1700000000",
				"vcs:source":                  "https://example.com/deps.git",
				"vcs:revision":                "abc123",
			},
			want: map[string]imageSummary{"linux/amd64": func() imageSummary {
				s := depsImage("linux/amd64")
				s.Created, s.Epoch = "2023-11-14T22:13:20Z", "1700000000"
				s.Labels = map[string]string{
					"org.opencontainers.image.source":   "https://example.com/deps.git",
					"org.opencontainers.image.revision": "abc123",
					"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
				}
				return s
			}()},
			wantResolved: []string{golang, "gcr.io/distroless/static-debian12:nonroot linux/amd64"},
		},
		{
			desc: "a Goimagefile the build names (-f ci/Goimagefile)",
			files: fstest.MapFS{
				"ci/Goimagefile": {Data: []byte("version: 1\nmain: ./cmd/deps\nimage: {env: {TZ: UTC}}\nplatforms: [linux/arm64]\n")},
				"Goimagefile":    {Data: []byte("version: 1\nmain: ./cmd/other\n")},
			},
			opts:         map[string]string{"filename": "ci/Goimagefile"},
			want:         map[string]imageSummary{"linux/arm64": depsImage("linux/arm64")},
			wantResolved: []string{golang, "gcr.io/distroless/static-debian12:nonroot linux/arm64"},
		},
		{
			desc:         "--target test: an empty image, and no base to resolve",
			dir:          depsDir,
			opts:         map[string]string{"target": "test"},
			want:         map[string]imageSummary{"linux/amd64": {Platform: "linux/amd64"}},
			wantResolved: []string{golang},
		},
		{
			desc: "--target tool of the service: its binary alone, on scratch",
			dir:  serviceDir,
			opts: map[string]string{"target": "tool"},
			want: map[string]imageSummary{"linux/amd64": {
				Platform: "linux/amd64", Entrypoint: []string{"/tool"}, User: "65532:65532", Env: scratchEnv,
				WorkingDir: "/", Created: "1970-01-01T00:00:00Z",
			}},
			wantResolved: []string{golang},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := newFakeClientFiles(tt.files, tt.opts)
			if tt.dir != "" {
				c = newFakeClient(t, tt.dir, tt.opts)
			}
			if diff := cmp.Diff(resultImages(t, build(t, c)), tt.want); diff != "" {
				t.Errorf("images (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(c.Resolved(), tt.wantResolved); diff != "" {
				t.Errorf("resolved images (-got +want):\n%s", diff)
			}
			// The frontend resolves each early and every platform's conversion asks again:
			// one lookup each all the same.
			if diff := cmp.Diff(c.Lookups(), c.Resolved()); diff != "" {
				t.Errorf("images looked up more than once (-got +want):\n%s", diff)
			}
		})
	}
}

// customName is the metadata key of the name BuildKit shows for a step.
const customName = "llb.customname"

// vertex is one op of a solved definition, with its metadata.
type vertex struct {
	name string
	op   *pb.Op
	meta *pb.OpMetadata
}

// graphOf is the graph a reference of the fake gateway was solved from: see defGraph.
func graphOf(t *testing.T, ref client.Reference) (vertices []vertex, result string) {
	t.Helper()
	r, ok := ref.(*fakeRef)
	if !ok || r.Definition == nil {
		t.Fatalf("reference %T is not a solve of the fake gateway", ref)
	}
	vertices, result, err := defGraph(r.Definition)
	if err != nil {
		t.Fatal(err)
	}
	return vertices, result
}

// defGraph are the ops of a definition in definition order, without the terminal op, and
// the name of the step whose output is the result.
func defGraph(def *pb.Definition) (vertices []vertex, result string, err error) {
	ops, err := decodeOps(def)
	if err != nil {
		return nil, "", err
	}
	names := map[digest.Digest]string{}
	for i, dt := range def.Def {
		dgst := digest.FromBytes(dt)
		meta := def.Metadata[string(dgst)]
		names[dgst] = meta.GetDescription()[customName]
		if i == len(def.Def)-1 { // the terminal op: the result is its input
			return vertices, names[digest.Digest(ops[dgst].Inputs[0].Digest)], nil
		}
		vertices = append(vertices, vertex{name: names[dgst], op: ops[dgst], meta: meta})
	}
	return nil, "", errors.New("empty definition")
}

// goStep is what a test checks of a go build or go test step.
type goStep struct {
	Name   string
	RunsOn string // the platform of the op: where the command runs
	GOARCH string
	Args   []string // the go command's arguments after the subcommand, ldflags included
}

// goSteps are the go build and go test steps of a graph.
func goSteps(vertices []vertex) []goStep {
	var steps []goStep
	for _, v := range vertices {
		e := v.op.GetExec()
		if e == nil {
			continue
		}
		// The build's go commands run through goimage-helper workspace.
		args := e.Meta.Args
		if len(args) > 3 && slices.Equal(args[1:3], []string{"workspace", "--"}) {
			args = args[3:]
		}
		if len(args) < 2 || args[0] != "go" || !slices.Contains([]string{"build", "test"}, args[1]) ||
			!strings.HasPrefix(v.name, "go ") { // the helper's own build is [internal]
			continue
		}
		s := goStep{Name: v.name, RunsOn: v.op.Platform.OS + "/" + v.op.Platform.Architecture, Args: args[2:]}
		for _, kv := range e.Meta.Env {
			if v, ok := strings.CutPrefix(kv, "GOARCH="); ok {
				s.GOARCH = v
			}
		}
		steps = append(steps, s)
	}
	return steps
}

// TestBuildGraph checks the graph Build solves for each platform and target: the binaries
// cross-compiled on the build platform, the build args in the ldflags, --target picking a
// binary, and the test target running go test instead of building an image.
func TestBuildGraph(t *testing.T) {
	depsBuild := func(goarch, ldflags string) goStep {
		return goStep{
			Name: "go build . linux/" + goarch, RunsOn: "linux/amd64", GOARCH: goarch,
			Args: []string{"-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", "/out/deps", "."},
		}
	}
	tests := []struct {
		desc       string
		dir        string
		opts       map[string]string
		want       map[string][]goStep // by platform id
		wantResult string              // the step whose output each reference is
	}{
		{
			desc:       "examples/deps: ${VERSION} unset is empty",
			dir:        depsDir,
			want:       map[string][]goStep{"linux/amd64": {depsBuild("amd64", "-s -w -buildid= -X main.version=")}},
			wantResult: "copy /deps into the image",
		},
		{
			desc: "examples/deps for two platforms, with a build arg: both compile on the build platform",
			dir:  depsDir,
			opts: map[string]string{"platform": "linux/amd64,linux/arm64", "build-arg:VERSION": "1.2.3"},
			want: map[string][]goStep{
				"linux/amd64": {depsBuild("amd64", "-s -w -buildid= -X main.version=1.2.3")},
				"linux/arm64": {depsBuild("arm64", "-s -w -buildid= -X main.version=1.2.3")},
			},
			wantResult: "copy /deps into the image",
		},
		{
			desc: "--target api of the service: that binary alone, the built-in build args in its ldflags",
			dir:  serviceDir,
			opts: map[string]string{"target": "api", "vcs:revision": "abc123", "build-arg:VERSION": "2.0"},
			want: map[string][]goStep{"linux/amd64": {{
				Name: "go build ./cmd/api linux/amd64", RunsOn: "linux/amd64", GOARCH: "amd64",
				Args: []string{"-trimpath", "-buildvcs=false",
					"-ldflags", "-s -w -buildid= -X main.version=2.0 -X main.revision=abc123 -X main.date=1970-01-01T00:00:00Z",
					"-tags", "timetzdata", "-gcflags", "all=-N -l", "-o", "/out/api", "./cmd/api"},
			}}},
			wantResult: "copy /api into the image",
		},
		{
			desc: "--target test of the service: go test, no image",
			dir:  serviceDir,
			opts: map[string]string{"target": "test"},
			want: map[string][]goStep{"linux/amd64": {{
				Name: "go test ./... linux/amd64", RunsOn: "linux/amd64", GOARCH: "amd64",
				Args: []string{"-trimpath", "-count=1", "./..."},
			}}},
			wantResult: "go test ./... linux/amd64",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			res := build(t, newFakeClient(t, tt.dir, tt.opts))
			refs := res.Refs
			if res.Ref != nil {
				refs = map[string]client.Reference{workerPlatform.OS + "/" + workerPlatform.Architecture: res.Ref}
			}
			got := map[string][]goStep{}
			for id, ref := range refs {
				vertices, result := graphOf(t, ref)
				got[id] = goSteps(vertices)
				if result != tt.wantResult {
					t.Errorf("%s: the result is the output of %q, want %q", id, result, tt.wantResult)
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("go steps (-got +want):\n%s", diff)
			}
		})
	}
}

// TestBuildNoCache checks that --no-cache marks every step of the image's graph, and of its
// SBOM, to run again; and that --no-cache-filter (no-cache=NAMES) does so only when it
// names the target.
func TestBuildNoCache(t *testing.T) {
	tests := []struct {
		desc string
		opts map[string]string
		want bool // every step ignores the cache; else none does
	}{
		{desc: "cache used", opts: map[string]string{}, want: false},
		{desc: "--no-cache", opts: map[string]string{"no-cache": ""}, want: true},
		{desc: "--no-cache-filter naming the target", opts: map[string]string{"no-cache": "other,DEPS", "target": "deps"}, want: true},
		{desc: "--no-cache-filter naming another target", opts: map[string]string{"no-cache": "other", "target": "deps"}, want: false},
		{desc: "--no-cache-filter without a target", opts: map[string]string{"no-cache": "deps"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			opts := maps.Clone(tt.opts)
			opts["attest:sbom"] = "" // the SBOM's graph too
			res := build(t, newFakeClient(t, depsDir, opts))
			atts := res.Attestations["linux/amd64"]
			if len(atts) != 1 {
				t.Fatalf("%d attestations, want the SBOM", len(atts))
			}
			for _, ref := range []client.Reference{res.Ref, atts[0].Ref} {
				vertices, result := graphOf(t, ref)
				var wrong []string
				for _, v := range vertices {
					if v.meta.GetIgnoreCache() != tt.want {
						wrong = append(wrong, v.name)
					}
				}
				if len(wrong) > 0 {
					t.Errorf("graph of %q: %d of %d steps do not have IgnoreCache=%v: %q", result, len(wrong), len(vertices), tt.want, wrong)
				}
			}
		})
	}
}

// attestation is what a test checks of an attestation of a Build result.
type attestation struct {
	Kind          gatewaypb.AttestationKind
	Path          string
	PredicateType string
	Reason        string
	Step          string // the step whose output the attestation's reference is
}

// TestBuildSBOM checks that an SBOM, asked for with attest:sbom, comes with each platform's
// image as an in-toto SPDX attestation made by the frontend's own step; and that the test
// target, which makes no image, has none.
func TestBuildSBOM(t *testing.T) {
	sbom := func(platform string) []attestation {
		return []attestation{{
			Kind: gatewaypb.AttestationKind_InToto, Path: "/sbom.spdx.json", PredicateType: "https://spdx.dev/Document",
			Reason: "sbom", Step: "SBOM of /deps " + platform,
		}}
	}
	tests := []struct {
		desc string
		opts map[string]string
		want map[string][]attestation // by platform id
	}{
		{desc: "not asked for", opts: map[string]string{}, want: map[string][]attestation{}},
		{desc: "one platform", opts: map[string]string{"attest:sbom": ""}, want: map[string][]attestation{"linux/amd64": sbom("linux/amd64")}},
		{
			desc: "two platforms",
			opts: map[string]string{"attest:sbom": "", "platform": "linux/amd64,linux/arm64"},
			want: map[string][]attestation{"linux/amd64": sbom("linux/amd64"), "linux/arm64": sbom("linux/arm64")},
		},
		{desc: "the test target", opts: map[string]string{"attest:sbom": "", "target": "test"}, want: map[string][]attestation{}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			res := build(t, newFakeClient(t, depsDir, tt.opts))
			got := map[string][]attestation{}
			for id, atts := range res.Attestations {
				for _, a := range atts {
					_, step := graphOf(t, a.Ref)
					got[id] = append(got[id], attestation{
						Kind: a.Kind, Path: a.Path, PredicateType: a.InToto.PredicateType,
						Reason: string(a.Metadata[result.AttestationReasonKey]), Step: step,
					})
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("attestations (-got +want):\n%s", diff)
			}
		})
	}
}

// TestBuildArgProblems checks what a build arg the build cannot use stops: a gcflags value
// that would make a PATTERN= fails the image and --call check at its field, not the test
// target, which reads none of the binaries' flags, nor the outline; a bad SOURCE_DATE_EPOCH
// fails the build, not the outline that lists it.
func TestBuildArgProblems(t *testing.T) {
	files := fstest.MapFS{DefaultFilename: {Data: []byte("# syntax=goimage/frontend:1\nversion: 1\nbinaries:\n  - main: .\n    gcflags: [\"${GCF}\"]\n")}}
	badArg := map[string]string{"build-arg:GCF": "all=-B"}
	with := func(opts map[string]string, more ...string) map[string]string {
		out := maps.Clone(opts)
		for i := 0; i+1 < len(more); i += 2 {
			out[more[i]] = more[i+1]
		}
		return out
	}
	tests := []struct {
		desc    string
		opts    map[string]string
		wantErr string // "" for success
	}{
		{desc: "the image", opts: badArg, wantErr: "binaries[0].gcflags[0]"},
		{desc: "--call check", opts: with(badArg, "requestid", lint.RequestLint), wantErr: "binaries[0].gcflags[0]"},
		{desc: "the test target", opts: with(badArg, "target", "test")},
		{desc: "--call outline", opts: with(badArg, "requestid", outline.RequestSubrequestsOutline)},
		{desc: "a bad SOURCE_DATE_EPOCH: the image", opts: map[string]string{"build-arg:SOURCE_DATE_EPOCH": "yesterday"}, wantErr: "SOURCE_DATE_EPOCH"},
		{desc: "a bad SOURCE_DATE_EPOCH: --call outline", opts: map[string]string{"build-arg:SOURCE_DATE_EPOCH": "yesterday", "requestid": outline.RequestSubrequestsOutline}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := Build(context.Background(), newFakeClientFiles(files, tt.opts))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Build: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Build error = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}
