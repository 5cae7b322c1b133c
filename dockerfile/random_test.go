package dockerfile

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// pieces are what random values are made of: shell, Dockerfile and go command syntax,
// non-ASCII spaces and build arg references. badPieces are what Write refuses anywhere but in
// an argv; a value holds one rarely, so that most specs get written.
var (
	pieces = []string{
		"a", "Z", "0", ".", "/", " ", "'", `"`, `\`, "$", "${", "}", "$(", ")", "`", ";", "&", "|", "<", "<<", ">",
		"#", "[", "]", "-", "--", "=", ",", "*", "~", "é", "\u00a0", "\u0085", "EOF", "RUN touch /x", "--from=x",
		"${V}", "${V}",
	}
	badPieces = []string{"\n", "\r", "\t", "\x00", "\x01", "\xff"}
	envKeys   = []string{"A", "B_1", "_", "TZ"}
)

func randomValue(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(5) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	if r.IntN(60) == 0 {
		b.WriteString(badPieces[r.IntN(len(badPieces))])
	}
	return b.String()
}

func randomList(r *rand.Rand) []string {
	l := make([]string, r.IntN(3))
	for i := range l {
		l[i] = randomValue(r)
	}
	return l
}

// randomGcflags are gcflags entries that start as the go command wants, with a flag or a
// pattern.
func randomGcflags(r *rand.Rand) []string {
	l := randomList(r)
	for i := range l {
		l[i] = []string{"-", "all="}[r.IntN(2)] + l[i]
	}
	return l
}

// randomMap is a map whose keys are mostly variable names, and values random.
func randomMap(r *rand.Rand) map[string]string {
	m := map[string]string{}
	for range r.IntN(3) {
		k := envKeys[r.IntN(len(envKeys))]
		if r.IntN(20) == 0 {
			k = randomValue(r)
		}
		m[k] = randomValue(r)
	}
	return m
}

// randomSpec is a spec with random values in every free-text field, and valid ones where a
// random value would only be refused (names, tags, ports, images), so that most specs get
// written.
func randomSpec(r *rand.Rand) *spec.Spec {
	s := &spec.Spec{Go: "1.26", Dir: randomValue(r), Env: randomMap(r), GoFlags: randomValue(r),
		GoProxy: randomValue(r), GoPrivate: randomValue(r), GoNoSumDB: randomValue(r), GoInsecure: randomValue(r),
		Base: "scratch", CACerts: r.IntN(2) == 0, TZData: r.IntN(2) == 0}
	if r.IntN(2) == 0 {
		s.Private.Netrc = "corp"
	}
	for i := range 1 + r.IntN(2) {
		s.Binaries = append(s.Binaries, spec.Binary{Name: fmt.Sprintf("b%d", i), Main: randomValue(r), Tags: []string{"netgo"},
			Ldflags: randomList(r), Gcflags: randomGcflags(r), Flags: []string{"-" + randomValue(r)}})
	}
	for range r.IntN(2) {
		s.Generate = append(s.Generate, spec.Generate{Run: append([]string{"gen"}, randomList(r)...)})
	}
	for range r.IntN(2) {
		s.Files = append(s.Files, spec.File{Src: "a" + randomValue(r), Dst: "/" + randomValue(r)})
	}
	s.Image = spec.Image{Entrypoint: randomList(r), Cmd: randomList(r), User: randomValue(r), Workdir: randomValue(r),
		Env: randomMap(r), Labels: randomMap(r), Expose: []string{"8080/udp"}, Volumes: randomList(r), StopSignal: randomValue(r)}
	return s
}

// buildArgs are the build args of TestWriteRandom: both kinds of quote, spaces, a command
// substitution.
var buildArgs = map[string]string{"V": `x 'y' "z" $(touch /tmp/pwned)`}

// TestWriteRandom writes many random specs. Each is refused, or BuildKit reads back the
// instructions meant with every value literal: the build environment, the module download,
// the generate commands, each go build command as the go command reads it, the file copies and
// the whole image configuration.
func TestWriteRandom(t *testing.T) {
	written := 0
	for seed := range uint64(400) {
		s := randomSpec(rand.New(rand.NewPCG(seed, 1)))
		out, err := writeSpec(s)
		if err != nil {
			continue
		}
		written++
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			got := summary(instructionsOf(t, out, buildArgs))
			if diff := cmp.Diff(got, expected(s), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("instructions (-got +want):\n%s\n%s", diff, out)
			}
		})
	}
	if written < 100 {
		t.Errorf("only %d of 400 random specs written: the test checks too little", written)
	}
}

// summary is what TestWriteRandom compares of an instruction list: the instructions in order,
// without flags, and the arguments that come from the spec; a go build step's -ldflags and
// -gcflags as the go command reads them.
func summary(got []instr) []instr {
	var out []instr
	for _, in := range got {
		if len(in.Heredocs) > 0 {
			return append(out, instr{Cmd: "heredoc", Args: in.Heredocs})
		}
		switch in.Cmd {
		case "FROM", "ARG", "EXPOSE":
			in.Args = nil
		case "ENV":
			in.Args = slices.DeleteFunc(in.Args, func(kv string) bool {
				return strings.HasPrefix(kv, "CGO_ENABLED=") || strings.HasPrefix(kv, "GOTOOLCHAIN=")
			})
		case "RUN sh":
			in.Cmd = "RUN"
			if len(in.Args) == 1 && strings.HasPrefix(in.Args[0], "failed") {
				in.Args = []string{"failed"}
			}
		}
		if in.Cmd == "RUN" && len(in.Args) > 2 && in.Args[1] == "build" {
			in.Args = goCommandView(in.Args)
		}
		in.Flags = nil
		out = append(out, in)
	}
	return out
}

// goCommandView is a go build argv with its flag lists as the go command splits them.
func goCommandView(argv []string) []string {
	view := slices.Clone(argv)
	for i, a := range view {
		for _, f := range []string{"-ldflags=", "-gcflags="} {
			if v, ok := strings.CutPrefix(a, f); ok {
				view[i] = fmt.Sprintf("%s%+v", f, readPerPackage(v))
			}
		}
	}
	return view
}

// expected is the summary of the Dockerfile of s, from the spec and llb's rules alone.
func expected(s *spec.Spec) []instr {
	dir := path.Clean(s.Dir)
	want := []instr{{Cmd: "FROM"}, {Cmd: "WORKDIR", Args: []string{path.Join("/src", dir)}}}
	env := maps.Clone(s.Env)
	if flags := strings.Fields(s.GoFlags); len(flags) > 0 {
		env["GOFLAGS"] = strings.Join(flags, " ")
	}
	want = append(want, instr{Cmd: "ENV", Args: pairList(env)},
		instr{Cmd: "COPY", Args: []string{path.Join(dir, "go.mod"), path.Join(dir, "go.sum*"), path.Join(dir, "go.work*"), path.Join("/src", dir) + "/"}},
		instr{Cmd: "RUN", Args: append(downloadEnv(s), "go", "mod", "download")},
		instr{Cmd: "COPY", Args: []string{".", "/src/"}})
	for _, g := range s.Generate {
		want = append(want, instr{Cmd: "RUN", Args: g.Run})
	}
	want = append(want, instr{Cmd: "ARG"}, targetEnv)
	for _, b := range s.Binaries {
		if argv := expectedGoBuild(s, b); argv[0] == "failed" {
			want = append(want, instr{Cmd: "RUN", Args: argv})
		} else {
			want = append(want, instr{Cmd: "RUN", Args: goCommandView(argv)})
		}
	}
	want = append(want, instr{Cmd: "FROM"})
	if s.CACerts {
		want = append(want, instr{Cmd: "COPY", Args: []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt"}})
	}
	for _, f := range s.Files {
		want = append(want, instr{Cmd: "COPY", Args: []string{path.Clean(f.Src), f.Dst}})
	}
	for _, b := range s.Binaries {
		want = append(want, instr{Cmd: "COPY", Args: []string{"/out/" + b.Name, "/" + b.Name}})
	}
	return append(want, expectedImage(s.Image)...)
}

func downloadEnv(s *spec.Spec) []string {
	var env []string
	for _, kv := range [][2]string{{"GOINSECURE", s.GoInsecure}, {"GONOSUMDB", s.GoNoSumDB}, {"GOPRIVATE", s.GoPrivate}, {"GOPROXY", s.GoProxy}} {
		if kv[1] != "" {
			env = append(env, kv[0]+"="+kv[1])
		}
	}
	if len(env) > 0 {
		env = append([]string{"env"}, env...)
	}
	return env
}

// expectedGoBuild is goimage's go build argv for b with buildArgs (llb's buildArgs), or
// "failed" when goimage's build would fail on its flags.
func expectedGoBuild(s *spec.Spec, b spec.Binary) []string {
	ld, gc, err := goimageFlags(b.Ldflags, b.Gcflags, buildArgs)
	if err != nil {
		return []string{"failed"}
	}
	tags := "-tags=netgo"
	if s.TZData {
		tags += ",timetzdata"
	}
	argv := []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags=" + ld, tags}
	for _, g := range gc {
		argv = append(argv, "-gcflags="+g)
	}
	return slices.Concat(argv, b.Flags, []string{"-o", "/out/" + b.Name, b.Package()})
}

func expectedImage(img spec.Image) []instr {
	var want []instr
	if len(img.Env) > 0 {
		want = append(want, instr{Cmd: "ENV", Args: pairList(img.Env)})
	}
	for _, kv := range pairList(img.Labels) {
		want = append(want, instr{Cmd: "LABEL", Args: []string{kv}})
	}
	want = append(want, instr{Cmd: "EXPOSE"})
	if len(img.Volumes) > 0 {
		want = append(want, instr{Cmd: "VOLUME", Args: img.Volumes})
	}
	if img.StopSignal != "" {
		want = append(want, instr{Cmd: "STOPSIGNAL", Args: []string{img.StopSignal}})
	}
	if img.Workdir != "" {
		want = append(want, instr{Cmd: "WORKDIR", Args: []string{img.Workdir}})
	}
	u := img.User
	if id, ok := map[string]string{spec.UserNonroot: "65532:65532", spec.UserRoot: "0:0"}[u]; ok {
		u = id
	}
	want = append(want, instr{Cmd: "USER", Args: []string{u}})
	if img.Entrypoint != nil {
		want = append(want, instr{Cmd: "ENTRYPOINT", Args: img.Entrypoint})
	}
	if img.Cmd != nil {
		want = append(want, instr{Cmd: "CMD", Args: img.Cmd})
	}
	return want
}

func pairList(m map[string]string) []string {
	var l []string
	for _, k := range spec.SortedKeys(m) {
		l = append(l, k+"="+m[k])
	}
	return l
}
