package llb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/goimage/goimage/plan"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// update rewrites the golden files instead of comparing with them (and removes the ones no
// case writes any more): go test ./llb -run TestGoldenDefinitions -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden/")

// goldenDir holds one file per case of TestGoldenDefinitions.
const goldenDir = "testdata/golden"

// The fixed inputs of the golden cases: what `docker buildx build --build-arg VERSION=1.0.0
// --build-arg SOURCE_DATE_EPOCH=1767225600 --sbom=true` of a git checkout hands the frontend on
// a linux/amd64 worker. frontend/build.go turns them into Options; goldenOptions does the same.
const (
	goldenVersion   = "1.0.0"
	goldenEpoch     = 1767225600 // 2026-01-01T00:00:00Z
	goldenRevision  = "0123456789abcdef0123456789abcdef01234567"
	goldenSource    = "https://github.com/goimage/goimage"
	goldenSessionID = "goimage-golden-session"
	// goldenGoVersion is the GOLANG_VERSION of the golang:1.26 configuration: fixed, so that the
	// files do not depend on the Go of the machine the workbench's stand-in was made on.
	goldenGoVersion = "1.26.8"
)

// goldenProjects are the Goimagefiles the golden cases convert: every example and every test
// project, relative to this package.
var goldenProjects = []string{
	"../examples/hello",
	"../examples/deps",
	"../examples/multi",
	"../testdata/projects/cgo",
	"../testdata/projects/generate",
	"../testdata/projects/proto",
	"../testdata/projects/service",
	"../testdata/projects/vendored",
	"../testdata/projects/workspace",
}

// goldenTargets are the image builds of each project; the test target runs once more, on the
// build platform, as ConvertTest always does.
var goldenTargets = []ocispecs.Platform{amd64, arm64}

// goldenCase is one conversion: a project's image for a target platform, or its test target.
type goldenCase struct {
	name    string // "deps/linux-arm64", "service/test"
	dir     string // the project, relative to this package
	target  *ocispecs.Platform
	test    bool
	special string // how the case differs from a plain image build, for the file's header
}

func (c goldenCase) file() string {
	return filepath.Join(goldenDir, strings.ReplaceAll(c.name, "/", "_")+".txt")
}

func goldenCases() []goldenCase {
	var cases []goldenCase
	for _, dir := range goldenProjects {
		project := filepath.Base(dir)
		for _, p := range goldenTargets {
			cases = append(cases, goldenCase{
				name:    project + "/" + strings.ReplaceAll(platforms.Format(p), "/", "-"),
				dir:     dir,
				target:  &p,
				special: "image for " + platforms.Format(p) + ", SBOM on",
			})
		}
		cases = append(cases, goldenCase{name: project + "/test", dir: dir, test: true, special: "test target, SBOM off"})
	}
	return cases
}

// goldenImages stands in for the frontend's image resolver (frontend/images.go): every
// reference comes back pinned to a digest, as a resolved image does, with the configuration
// the workbench's stand-ins have (hack/standin.Dockerfile, which copies upstream's). The digest
// is made up from the reference and platform, so that it never changes.
type goldenImages struct{}

func (goldenImages) Image(_ context.Context, ref string, p ocispecs.Platform) (llb.State, *dockerspec.DockerOCIImage, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return llb.State{}, nil, err
	}
	named = reference.TagNameOnly(named)
	dgst := digest.FromString("goimage golden image " + named.String() + " " + platforms.Format(p))
	pinned := ref
	if canonical, err := reference.WithDigest(named, dgst); err == nil {
		pinned = canonical.String()
	}
	img := &dockerspec.DockerOCIImage{}
	img.Platform = platforms.Normalize(p)
	img.RootFS = ocispecs.RootFS{Type: "layers"}
	switch named.String() {
	case "docker.io/library/golang:1.26":
		img.Config.Env = []string{"PATH=" + defaultPath, "GOLANG_VERSION=" + goldenGoVersion, "GOPATH=/go", "GOTOOLCHAIN=local"}
		img.Config.WorkingDir = "/go"
	case plan.DistrolessImage, plan.DistrolessCGOImage:
		img.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=" + caBundle}
		img.Config.User = "65532"
		img.Config.WorkingDir = "/home/nonroot"
	default:
		return llb.State{}, nil, fmt.Errorf("golden: no configuration for image %s", ref)
	}
	return llb.Image(pinned, llb.Platform(p), llb.ResolveModeDefault), img, nil
}

// goldenOptions are the Options frontend/build.go makes for the project in dir: build args
// with the built-in GOIMAGE_REVISION and GOIMAGE_DATE, the epoch, the OCI labels of a git
// context, the Goimagefile's source map and a build context as dockerui's MainContext loads
// it (session, .dockerignore excludes, shared key hint, internal name).
func goldenOptions(t testing.TB, dir string, data []byte, target *ocispecs.Platform, sbom bool) Options {
	t.Helper()
	epoch := time.Unix(goldenEpoch, 0).UTC()
	excludes := goldenExcludes(t, dir)
	// dockerui's ReadEntrypoint: the Goimagefile comes from the "dockerfile" local.
	defSrc := llb.Local("dockerfile",
		llb.FollowPaths([]string{"Goimagefile", "Goimagefile.dockerignore"}),
		llb.SessionID(goldenSessionID),
		llb.SharedKeyHint("dockerfile"),
		llb.WithCustomName("[internal] load build definition from Goimagefile"),
		llb.Differ(llb.DiffNone, false),
	)
	return Options{
		BuildPlatform:  amd64,
		TargetPlatform: target,
		Epoch:          &epoch,
		SourceMap:      llb.NewSourceMap(&defSrc, "Goimagefile", "yaml", data),
		Labels: map[string]string{
			"org.opencontainers.image.source":   goldenSource,
			"org.opencontainers.image.revision": goldenRevision,
			"org.opencontainers.image.created":  epoch.Format(time.RFC3339),
		},
		Images: goldenImages{},
		Context: func(opts ...llb.LocalOption) (llb.State, error) {
			return llb.Local("context", append([]llb.LocalOption{
				llb.SessionID(goldenSessionID),
				llb.ExcludePatterns(excludes),
				llb.SharedKeyHint("context"),
				llb.WithCustomName("[internal] load build context"),
			}, opts...)...), nil
		},
		SBOM:        sbom,
		ModuleFiles: goldenModuleFiles(t, dir),
	}
}

// goldenModuleFiles are the project's go.mod, go.sum, go.work.sum and go.work files, by path, as the
// frontend reads them (frontend/gosums.go).
func goldenModuleFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	sums := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if name := d.Name(); name == "go.mod" || name == "go.sum" || name == "go.work.sum" || name == "go.work" {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			if sums[filepath.ToSlash(rel)], err = os.ReadFile(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// goldenBuildArgs are the build args of every golden case, as the frontend sends them.
func goldenBuildArgs() map[string]string {
	return map[string]string{
		"GOIMAGE_REVISION":  goldenRevision,
		"GOIMAGE_DATE":      time.Unix(goldenEpoch, 0).UTC().Format(time.RFC3339),
		"VERSION":           goldenVersion,
		"SOURCE_DATE_EPOCH": fmt.Sprint(goldenEpoch),
	}
}

// goldenExcludes are the project's ignore patterns as dockerui reads them: Goimagefile.dockerignore,
// else .dockerignore; none when neither exists.
func goldenExcludes(t testing.TB, dir string) []string {
	t.Helper()
	for _, name := range []string{"Goimagefile.dockerignore", ".dockerignore"} {
		f, err := os.Open(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		patterns, err := ignorefile.ReadAll(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return patterns
	}
	return nil
}

// goldenMarshal marshals as the frontend does: with the worker's LLB capabilities (here all of
// them) and, since the frontend runs on the build platform, that platform as the default.
func goldenMarshal(t testing.TB, st llb.State) *llb.Definition {
	t.Helper()
	caps := pb.Caps.CapSet(pb.Caps.All())
	def, err := st.Marshal(context.Background(), llb.WithCaps(caps), llb.Platform(amd64))
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return def
}

// goldenRun converts and marshals one case. It returns the golden text and the bytes every
// run must repeat: the rendered definitions and the image configuration.
func goldenRun(t testing.TB, c goldenCase) (text string, raw []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.dir, "Goimagefile"))
	if err != nil {
		t.Fatal(err)
	}
	p := resolve(t, parse(t, string(data)), goldenBuildArgs())
	var b, r strings.Builder
	fmt.Fprintf(&b, "# %s/Goimagefile: %s; build platform linux/amd64.\n", strings.TrimPrefix(c.dir, "../"), c.special)
	fmt.Fprintf(&b, "# Inputs: llb/golden_test.go. Regenerate: go test ./llb -run TestGoldenDefinitions -update\n")
	section := func(label string, st llb.State) {
		def := goldenMarshal(t, st)
		rendered := render(t, def)
		r.Write(rendered)
		fmt.Fprintf(&b, "%s %s\n", label, digest.FromBytes(rendered))
		for _, line := range goldenOps(t, def) {
			fmt.Fprintf(&b, "op %s\n", line)
		}
	}
	if c.test {
		st, err := ConvertTest(context.Background(), p, goldenOptions(t, c.dir, data, nil, false))
		if err != nil {
			fmt.Fprintf(&b, "error %s\n", err)
			return b.String(), []byte(b.String())
		}
		section("definition", st)
		return b.String(), []byte(r.String())
	}
	res, err := Convert(context.Background(), p, goldenOptions(t, c.dir, data, c.target, true))
	if err != nil {
		// Kept too: a fix that makes the case build shows as a changed file.
		fmt.Fprintf(&b, "error %s\n", err)
		return b.String(), []byte(b.String())
	}
	section("definition", res.State)
	if res.SBOM != nil {
		section("sbom definition", *res.SBOM)
	}
	img, err := json.Marshal(res.Image)
	if err != nil {
		t.Fatal(err)
	}
	r.Write(img)
	sum := sha256.Sum256(img)
	fmt.Fprintf(&b, "image config sha256:%s\n", hex.EncodeToString(sum[:]))
	return b.String(), []byte(r.String())
}

// goldenOps are the definition's ops in order, each as its digest, kind and custom name (a
// source op also shows its identifier).
func goldenOps(t testing.TB, def *llb.Definition) []string {
	t.Helper()
	var lines []string
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatalf("decoding op: %v", err)
		}
		d := digest.FromBytes(dt)
		var kind string
		switch o := op.Op.(type) {
		case nil:
			kind = "terminal"
		case *pb.Op_Source:
			kind = "source " + o.Source.Identifier
		case *pb.Op_Exec:
			kind = "exec"
		case *pb.Op_File:
			kind = "file"
		case *pb.Op_Build:
			kind = "build"
		case *pb.Op_Merge:
			kind = "merge"
		case *pb.Op_Diff:
			kind = "diff"
		default:
			kind = fmt.Sprintf("%T", o)
		}
		line := fmt.Sprintf("%s %s", d, kind)
		if md, ok := def.Metadata[d]; ok {
			if name, ok := md.Description[customName]; ok {
				line += fmt.Sprintf(" %q", name)
			}
		}
		loc := goldenLocation(def, d)
		if loc == "" && def.Source != nil && op.GetSource() == nil && op.Op != nil {
			// Every op goimage makes points at the field that caused it; only sources
			// (the build context dockerui loads, images) and the terminal op may not.
			t.Errorf("op %s %s has no location", d, line)
		}
		lines = append(lines, line+loc)
	}
	return lines
}

// goldenLocation is where an op points in the Goimagefile, " @line:col-line:col" with
// BuildKit's 1-based lines and 0-based characters, or nothing.
func goldenLocation(def *llb.Definition, d digest.Digest) string {
	if def.Source == nil || def.Source.Locations[string(d)] == nil {
		return ""
	}
	var out string
	for _, l := range def.Source.Locations[string(d)].Locations {
		for _, r := range l.Ranges {
			out += fmt.Sprintf(" @%d:%d-%d:%d", r.Start.Line, r.Start.Character, r.End.Line, r.End.Character)
		}
	}
	return out
}

// TestGoldenDefinitions pins the LLB of every example and test project, for linux/amd64 and
// linux/arm64 images (SBOM on) and the test target, with the fixed inputs above: each file in
// testdata/golden holds the digest of the whole rendered definition (ops, metadata, source
// locations), its ops with their own digests, the SBOM graph's, and the image configuration's.
// Any change to the converter that changes a graph changes a file here, and a diff names the
// ops. After an intended change, regenerate with
//
//	go test ./llb -run TestGoldenDefinitions -update
//
// and review git diff llb/testdata/golden: a commit that changes these files must say in its
// message which graphs change and why; a refactoring must change none.
//
// Each case is also converted and marshalled 5 times, which must give the same bytes.
func TestGoldenDefinitions(t *testing.T) {
	cases := goldenCases()
	written := map[string]bool{}
	for _, c := range cases {
		written[filepath.Base(c.file())] = true
		t.Run(c.name, func(t *testing.T) {
			got, first := goldenRun(t, c)
			for i := 1; i < 5; i++ {
				if _, again := goldenRun(t, c); !bytes.Equal(again, first) {
					t.Fatalf("run %d: the definition differs from run 0 (-run0 +run%d):\n%s", i, i, cmp.Diff(string(first), string(again)))
				}
			}
			if *update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(c.file(), []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(c.file())
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			// One op a line: a changed op shows as a changed line (cmp diffs a multi-line string by line).
			if diff := cmp.Diff(got, string(want)); diff != "" {
				t.Errorf("%s differs (-got +want); if the change is intended, run go test ./llb -run TestGoldenDefinitions -update and explain it in the commit message:\n%s", c.file(), diff)
			}
		})
	}
	// A file no case writes any more is removed by -update, else reported.
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for _, e := range entries {
		if !written[e.Name()] {
			stale = append(stale, e.Name())
		}
	}
	slices.Sort(stale)
	for _, name := range stale {
		if *update {
			if err := os.Remove(filepath.Join(goldenDir, name)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s/%s: no case writes it (run with -update to remove it)", goldenDir, name)
	}
}
