package dockerfile

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
)

// The spelling of values that have one, as spec validates them. Write checks them again: it
// must be safe for any Spec, and each of these reaches a place where another spelling changes
// the instruction (a mount option list, an ENV key, a tag list, a file name).
var (
	envKeyRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	nameRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	tagRe      = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)
	secretIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	portRe     = regexp.MustCompile(`^[0-9]{1,5}(/(tcp|udp|sctp))?$`)
)

// The cache mounts of the go commands: the module cache, and the build cache as well.
const (
	cacheMod   = "--mount=type=cache,target=/go/pkg/mod"
	cacheBuild = cacheMod + " --mount=type=cache,target=/root/.cache/go-build"
)

// Write returns the Dockerfile of a plan resolved without build args: a Dockerfile reads
// them when it is built. Values a Dockerfile cannot carry safely are refused, all of them at
// once, each error naming its field path ("binaries[0].main: ..."); Write checks them itself,
// so it is safe for any plan, whatever Resolve reported.
func Write(p *plan.Plan) (string, error) {
	s := p.Spec
	w := &writer{plan: p}
	w.printf("# Written by `goimage dockerfile` from a Goimagefile. goimage's dependency cache layer\n")
	w.printf("# and file times from SOURCE_DATE_EPOCH have no Dockerfile equivalent.\n")
	w.buildStage(s)
	w.finalStage(s)
	if err := errors.Join(w.errs...); err != nil {
		return "", err
	}
	return w.b.String(), nil
}

// writer collects the Dockerfile and every problem found writing it.
type writer struct {
	plan *plan.Plan
	b    strings.Builder
	errs []error
}

func (w *writer) printf(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// fail records a problem once: a value written twice (dir) is checked twice.
func (w *writer) fail(field, format string, args ...any) {
	err := fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
	if !slices.ContainsFunc(w.errs, func(e error) bool { return e.Error() == err.Error() }) {
		w.errs = append(w.errs, err)
	}
}

// buildStage writes the stage that downloads the modules, runs the generate steps and builds
// the binaries, on the build platform.
func (w *writer) buildStage(s *spec.Spec) {
	builder := w.plan.Builder
	w.printf("FROM --platform=$BUILDPLATFORM %s AS build\n", w.imageRef(builder.At.Field, builder.Ref))
	dir := path.Clean(s.Dir)
	w.text("dir", s.Dir)
	mod := dfWord(path.Join("/src", dir))
	w.printf("WORKDIR %s\n", mod)
	env := w.buildEnv(s)
	w.printf("ENV %s\n", w.envPairs(env, func(k string) string {
		if k == "GOFLAGS" && s.GoFlags != "" {
			return "goflags"
		}
		return keyPath("env", k)
	}))
	if s.Vendor {
		w.printf("COPY . /src/\n")
	} else {
		w.download(s, dir, mod)
	}
	for i, g := range s.Generate {
		w.generate(fmt.Sprintf("generate[%d]", i), g)
	}
	w.printf("ARG TARGETOS TARGETARCH")
	for _, name := range w.buildArgNames() {
		w.printf(" %s", name)
	}
	w.printf("\n")
	// ENV, not a RUN prefix, so that the go build step can be exec-form.
	w.printf("ENV GOOS=${TARGETOS} GOARCH=${TARGETARCH}\n")
	env["GOOS"], env["GOARCH"] = "", "" // the go build step's environment, which build args cannot be named after
	for i := range s.Binaries {
		w.goBuild(s, i, cacheBuild, env)
	}
}

// buildEnv is the environment of the go commands: goimage's settings, then the spec's.
func (w *writer) buildEnv(s *spec.Spec) map[string]string {
	env := map[string]string{"CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
	if s.CGO {
		env["CGO_ENABLED"] = "1"
	}
	for _, k := range spec.SortedKeys(s.Env) {
		if k == "TARGETOS" || k == "TARGETARCH" {
			// The stage's ENV would win over the ARG that GOOS and GOARCH are set from.
			w.fail(keyPath("env", k), "%s is the target platform's build arg in a Dockerfile: rename the variable", k)
		}
		env[k] = s.Env[k]
	}
	flags := strings.Fields(s.GoFlags)
	if s.Vendor {
		flags = append(flags, "-mod=vendor")
	}
	if len(flags) > 0 {
		env["GOFLAGS"] = strings.Join(flags, " ")
	}
	return env
}

// download copies the module files alone and downloads the modules, so that a source edit
// never re-runs it. The module settings and credentials reach this step only.
func (w *writer) download(s *spec.Spec, dir, mod string) {
	// The patterns stay out of the quotes, for readability; the lexer reads 'a b'/go.mod as one
	// word.
	prefix := dfWord(dir) + "/"
	switch dir {
	case ".":
		prefix = ""
	case "/":
		prefix = "/"
	}
	var files []string
	for _, f := range []string{"go.mod", "go.sum*", "go.work*"} {
		files = append(files, prefix+f)
	}
	w.printf("COPY %s\n", words(append(files, mod+"/")))
	mounts := cacheMod
	if id := s.Private.Netrc; id != "" {
		// The id goes into a comma-separated option list that BuildKit also expands.
		if !secretIDRe.MatchString(id) {
			w.fail("private.netrc", "%q is not a secret id: use letters, digits, '.', '_' and '-'", id)
		}
		mounts += fmt.Sprintf(" --mount=type=secret,id=%s,target=/root/.netrc", id)
	}
	if s.Private.SSH {
		mounts += " --mount=type=ssh"
	}
	var argv []string
	for _, kv := range [][2]string{{"GOINSECURE", s.GoInsecure}, {"GONOSUMDB", s.GoNoSumDB}, {"GOPRIVATE", s.GoPrivate}, {"GOPROXY", s.GoProxy}} {
		if kv[1] != "" && w.argv(strings.ToLower(kv[0]), kv[1]) {
			argv = append(argv, kv[0]+"="+kv[1])
		}
	}
	if len(argv) > 0 {
		// env(1) sets them for this command alone, without a shell.
		argv = append([]string{"env"}, argv...)
	}
	w.printf("RUN %s %s\n", mounts, jsonList(append(argv, "go", "mod", "download")))
	w.printf("COPY . /src/\n")
}

// generate writes a generate step: its tools' go install, then its command, both exec-form.
func (w *writer) generate(field string, g spec.Generate) {
	if len(g.Install) > 0 {
		argv := []string{"env", "GOBIN=/usr/local/bin", "go", "install"}
		for j, pkg := range g.Install {
			fp := fmt.Sprintf("%s.install[%d]", field, j)
			if w.argv(fp, pkg) && strings.HasPrefix(pkg, "-") {
				w.fail(fp, "%q is a flag, not PATH@VERSION", pkg)
			}
			argv = append(argv, pkg)
		}
		w.printf("RUN %s %s\n", cacheBuild, jsonList(argv))
	}
	if len(g.Run) == 0 {
		w.fail(field+".run", "required: the command")
	}
	for j, a := range g.Run {
		w.argv(fmt.Sprintf("%s.run[%d]", field, j), a)
	}
	w.printf("RUN %s %s\n", cacheBuild, jsonList(g.Run))
}

// finalStage writes the image: the base, the files and binaries owned by root, and the
// image configuration.
func (w *writer) finalStage(s *spec.Spec) {
	base := "scratch"
	if ref := w.plan.Base.Ref; ref != "" {
		base = w.imageRef(w.plan.Base.At.Field, ref)
	}
	w.printf("\nFROM %s\n", base)
	if s.CACerts {
		w.printf("COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n")
	}
	for i, f := range s.Files {
		p := fmt.Sprintf("files[%d]", i)
		w.printf("COPY --chown=0:0 %s\n", words([]string{w.word(p+".src", path.Clean(f.Src)), w.word(p+".dst", f.Dst)}))
	}
	for i, b := range s.Binaries {
		name := dfWord(w.binaryName(fmt.Sprintf("binaries[%d].name", i), b.Name))
		w.printf("COPY --from=build --chown=0:0 --chmod=0755 /out/%s /%s\n", name, name)
	}
	w.imageConfig(s.Image)
}

// imageConfig writes the image configuration. Every value is a quoted word, so the stage's
// own ENV never expands in it.
func (w *writer) imageConfig(img spec.Image) {
	if len(img.Env) > 0 {
		w.printf("ENV %s\n", w.envPairs(img.Env, func(k string) string { return keyPath("image.env", k) }))
	}
	for _, k := range spec.SortedKeys(img.Labels) {
		w.printf("LABEL %s=%s\n", w.labelKey(k), w.value(keyPath("image.labels", k), img.Labels[k]))
	}
	for i, p := range img.Expose {
		if !portRe.MatchString(p) {
			w.fail(fmt.Sprintf("image.expose[%d]", i), "want a port such as 8080 or 8080/udp, got %q", p)
		}
		w.printf("EXPOSE %s\n", p)
	}
	if len(img.Volumes) > 0 {
		vols := make([]string, len(img.Volumes))
		for i, v := range img.Volumes {
			vols[i] = w.word(fmt.Sprintf("image.volumes[%d]", i), v)
		}
		w.printf("VOLUME %s\n", jsonList(vols))
	}
	if img.StopSignal != "" {
		w.printf("STOPSIGNAL %s\n", w.word("image.stopsignal", img.StopSignal))
	}
	if img.Workdir != "" {
		w.printf("WORKDIR %s\n", w.word("image.workdir", img.Workdir))
	}
	w.printf("USER %s\n", w.word("image.user", w.plan.User))
	w.execList("ENTRYPOINT", "image.entrypoint", img.Entrypoint)
	w.execList("CMD", "image.cmd", img.Cmd)
}

// execList writes ENTRYPOINT or CMD in exec form, which BuildKit neither expands nor unquotes.
func (w *writer) execList(instr, field string, argv []string) {
	if argv == nil {
		return
	}
	for i, a := range argv {
		w.argv(fmt.Sprintf("%s[%d]", field, i), a)
	}
	w.printf("%s %s\n", instr, jsonList(argv))
}

// envPairs writes KEY=value pairs, sorted; field is the field path of a key.
func (w *writer) envPairs(env map[string]string, field func(k string) string) string {
	var pairs []string
	for _, k := range spec.SortedKeys(env) {
		p := field(k)
		if !envKeyRe.MatchString(k) {
			w.fail(p, "%q is not a variable name", k)
		}
		pairs = append(pairs, k+"="+w.value(p, env[k]))
	}
	return strings.Join(pairs, " ")
}

// labelKey is a label key as a Dockerfile word. BuildKit splits LABEL at the first '=' before
// unquoting, so a key cannot hold one.
func (w *writer) labelKey(k string) string {
	p := keyPath("image.labels", k)
	switch {
	case k == "":
		w.fail(p, "empty label key")
	case strings.Contains(k, "="):
		w.fail(p, "%q: a label key cannot hold '='", k)
	}
	return w.word(p, k)
}

// imageRef checks an image reference: FROM splits at white space and expands $NAME, and a
// valid reference has neither.
func (w *writer) imageRef(field, ref string) string {
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		w.fail(field, "%q is not an image reference: %v", ref, err)
		return "scratch"
	}
	return ref
}
