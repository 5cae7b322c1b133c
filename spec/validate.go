package spec

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
)

var (
	goVersionRe = regexp.MustCompile(`^1\.\d+(\.\d+)?((rc|beta)\d+)?$`)
	nameRe      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	tagRe       = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)
	envKeyRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	userRe      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$`)
	numericUser = regexp.MustCompile(`^\d+(:\d+)?$`)
	portRe      = regexp.MustCompile(`^(\d{1,5})(/(tcp|udp|sctp))?$`)
	argRefRe    = regexp.MustCompile(`\$\{([^}]*)\}`)
	argNameRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	secretIDRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	signalRe    = regexp.MustCompile(`^(SIG[A-Z0-9+-]+|[0-9]{1,2})$`)
	packageRe   = regexp.MustCompile(`^\.(/[A-Za-z0-9._~+-]+)*(/\.\.\.)?$`)
)

// TestTarget is the --target name of the test target; no binary may take it.
const TestTarget = "test"

// goimageFlags are the go build flags goimage sets itself; each has a field of its own.
var goimageFlags = map[string]string{
	"o": "", "C": "", "trimpath": "", "buildvcs": "",
	"ldflags": ": use ldflags", "gcflags": ": use gcflags", "tags": ": use tags",
	"modfile": "",
}

// reservedEnv are variables goimage sets itself; the spec has fields for the ones a user
// may choose (cgo, goproxy, goprivate) and the target platform decides the rest.
var reservedEnv = []string{"GOOS", "GOARCH", "GOARM", "CGO_ENABLED", "GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT", "GOTOOLCHAIN", "GOPROXY", "GOPRIVATE", "GONOSUMDB", "GOINSECURE", "GOFLAGS"}

// reservedNames are top-level directories of base images that a binary at /NAME would hide.
var reservedNames = []string{"bin", "boot", "dev", "etc", "home", "lib", "lib64", "proc", "root", "run", "sbin", "sys", "tmp", "usr", "var"}

func (s *Spec) applyDefaults() {
	if s.Go == "" {
		s.Go = DefaultGo
	}
	if s.Dir == "" {
		s.Dir = "."
	}
	if s.Main != "" && len(s.Binaries) == 0 {
		s.Binaries = []Binary{{Main: s.Main}}
		s.positions["binaries[0].main"] = s.positions["main"]
	}
	for i := range s.Binaries {
		if b := &s.Binaries[i]; b.Name == "" && b.Main != "" {
			b.Name = defaultName(b.Main)
		}
	}
	if s.Base == "" {
		s.Base = DefaultBase
	}
	if s.Image.User == "" {
		s.Image.User = DefaultUser
	}
	if s.Image.Entrypoint == nil && len(s.Binaries) > 0 && s.Binaries[0].Name != "" {
		s.Image.Entrypoint = []string{"/" + s.Binaries[0].Name}
	}
}

// defaultName is the binary name for a main package: its last path element, or "app" for
// the module root, whose name the spec cannot see.
func defaultName(main string) string {
	if base := path.Base(path.Clean(main)); base != "." && base != "/" {
		return base
	}
	return "app"
}

// validate returns every problem with a decoded, defaulted spec.
func (s *Spec) validate() Errors {
	v := validator{s: s}
	if s.Version != 1 {
		v.add("version", "unsupported version %d: this frontend reads version 1", s.Version)
	}
	if !goVersionRe.MatchString(s.Go) {
		v.add("go", "want a Go version such as \"1.26\", got %q", s.Go)
	}
	if s.Builder != "" {
		v.imageRef("builder", s.Builder)
	}
	v.relPath("dir", s.Dir)
	switch {
	case s.Main != "" && s.hasField("binaries"):
		v.add("main", "set main or binaries, not both")
	case len(s.Binaries) == 0:
		v.add("", "nothing to build: set main (one binary) or binaries")
	}
	names := map[string]bool{}
	for i, b := range s.Binaries {
		p := fmt.Sprintf("binaries[%d]", i)
		if b.Main == "" {
			v.add(p+".main", "required: the package to build, such as ./cmd/app")
		} else {
			v.relPath(p+".main", b.Main)
		}
		switch {
		case b.Name == "":
		case !nameRe.MatchString(b.Name):
			v.add(p+".name", "%q is not a file name: use letters, digits, '.', '_' and '-'", b.Name)
		case slices.Contains(reservedNames, b.Name):
			v.add(p+".name", "%q would hide /%s of the base image: choose another name", b.Name, b.Name)
		case b.Name == TestTarget:
			v.add(p+".name", "%q is the name of the test target (--target test): choose another name", b.Name)
		case names[b.Name]:
			v.add(p+".name", "%q is used by another binary", b.Name)
		}
		names[b.Name] = true
		for j, t := range b.Tags {
			if !tagRe.MatchString(t) {
				v.add(fmt.Sprintf("%s.tags[%d]", p, j), "%q is not a build tag", t)
			}
		}
		for j, f := range b.Ldflags {
			v.argRefs(fmt.Sprintf("%s.ldflags[%d]", p, j), f)
		}
		for j, f := range b.Gcflags {
			v.argRefs(fmt.Sprintf("%s.gcflags[%d]", p, j), f)
		}
		v.goFlags(p+".flags", b.Flags)
	}
	v.envKeys("env", s.Env, true)
	v.noSpace("goproxy", s.GoProxy)
	v.noSpace("goprivate", s.GoPrivate)
	v.noSpace("gonosumdb", s.GoNoSumDB)
	v.noSpace("goinsecure", s.GoInsecure)
	v.goFlags("goflags", strings.Fields(s.GoFlags))
	if id := s.Private.Netrc; id != "" && !secretIDRe.MatchString(id) {
		v.add("private.netrc", "%q is not a secret id: use letters, digits, '.', '_' and '-'", id)
	}
	if s.Vendor && (s.Private.Netrc != "" || s.Private.SSH) {
		v.add("private", "a vendored module downloads nothing: private credentials are never used")
	}
	if s.CGO && s.Base == BaseScratch && !linksStatically(s) {
		v.add("cgo", "a cgo binary links against the C library, which scratch lacks: use base: distroless (it then has glibc) or link statically (ldflags: [-linkmode=external, -extldflags=-static])")
	}
	v.validateFiles()
	v.validateTest()
	v.validateGenerate()
	if s.Base != BaseScratch && s.Base != BaseDistroless {
		v.imageRef("base", s.Base)
	}
	v.validateImage()
	for i, p := range s.Platforms {
		if _, err := ParsePlatform(p); err != nil {
			v.add(fmt.Sprintf("platforms[%d]", i), "%v", err)
		}
	}
	return v.errs
}

func (v *validator) validateImage() {
	img := v.s.Image
	switch u := img.User; {
	case !userRe.MatchString(u):
		v.add("image.user", "want nonroot, root, a uid or uid:gid, got %q", u)
	case v.s.Base == BaseScratch && u != UserNonroot && u != UserRoot && !numericUser.MatchString(u):
		v.add("image.user", "scratch has no /etc/passwd to look %q up in: use a uid or uid:gid", u)
	}
	if img.Workdir != "" && !path.IsAbs(img.Workdir) {
		v.add("image.workdir", "want an absolute path, got %q", img.Workdir)
	}
	v.envKeys("image.env", img.Env, false)
	for i, vol := range img.Volumes {
		if !path.IsAbs(vol) {
			v.add(fmt.Sprintf("image.volumes[%d]", i), "want an absolute path, got %q", vol)
		}
	}
	if img.StopSignal != "" && !signalRe.MatchString(img.StopSignal) {
		v.add("image.stopsignal", "want a signal such as SIGTERM or 15, got %q", img.StopSignal)
	}
	for i, p := range img.Expose {
		if !validPort(p) {
			v.add(fmt.Sprintf("image.expose[%d]", i), "want a port such as 8080 or 8080/udp, got %q", p)
		}
	}
}

// linksStatically reports whether every binary asks the external linker for a static binary.
func linksStatically(s *Spec) bool {
	for _, b := range s.Binaries {
		if !slices.ContainsFunc(b.Ldflags, func(f string) bool { return strings.Contains(f, "-static") }) {
			return false
		}
	}
	return true
}

// goFlags checks extra go command flags: each one word starting with '-', and none that
// goimage sets itself.
func (v *validator) goFlags(field string, flags []string) {
	for i, f := range flags {
		p := fmt.Sprintf("%s[%d]", field, i)
		if field == "goflags" {
			p = field
		}
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch hint, ok := goimageFlags[name]; {
		case !strings.HasPrefix(f, "-") || strings.ContainsAny(f, " \t\r\n"):
			v.add(p, "want one flag such as -race or -buildmode=pie, got %q", f)
		case ok:
			v.add(p, "goimage sets -%s itself%s", name, hint)
		case strings.TrimLeft(f, "-") == "mod=vendor":
			v.add(p, "use `vendor: true`, which also drops the download step")
		}
	}
}

func (v *validator) validateFiles() {
	for i, f := range v.s.Files {
		p := fmt.Sprintf("files[%d]", i)
		if f.Src == "" {
			v.add(p+".src", "required: a path in the build context")
		} else {
			v.relPath(p+".src", f.Src)
		}
		switch {
		case f.Dst == "":
			v.add(p+".dst", "required: an absolute path in the image")
		case !path.IsAbs(f.Dst) || strings.ContainsAny(f.Dst, "\x00\n\r"):
			v.add(p+".dst", "want an absolute path in the image, got %q", f.Dst)
		case path.Clean(f.Dst) == "/":
			v.add(p+".dst", "would replace the image's root: name a directory such as /data")
		}
	}
}

// installRe is a `go install` argument with a version: a package path, '@' and a version.
var installRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~/-]*@[A-Za-z0-9][A-Za-z0-9._+-]*$`)

func (v *validator) validateGenerate() {
	for i, g := range v.s.Generate {
		p := fmt.Sprintf("generate[%d]", i)
		switch {
		case len(g.Run) == 0:
			v.add(p+".run", "required: the command, such as [go, tool, stringer, -type=Color]")
		case g.Run[0] == "" || strings.HasPrefix(g.Run[0], "-"):
			v.add(p+".run[0]", "want a command name, got %q", g.Run[0])
		}
		if len(g.Inputs) == 0 {
			v.add(p+".inputs", "required: the module paths the command reads, such as [api/]")
		}
		for j, in := range g.Inputs {
			if in == "" {
				v.add(fmt.Sprintf("%s.inputs[%d]", p, j), "empty path")
				continue
			}
			v.relPath(fmt.Sprintf("%s.inputs[%d]", p, j), in)
		}
		for j, pkg := range g.Install {
			if !installRe.MatchString(pkg) || strings.Contains(pkg, "..") {
				v.add(fmt.Sprintf("%s.install[%d]", p, j), "want PATH@VERSION, such as google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.6, got %q", pkg)
			}
		}
	}
}

func (v *validator) validateTest() {
	for i, pkg := range v.s.Test.Packages {
		if !packageRe.MatchString(pkg) {
			v.add(fmt.Sprintf("test.packages[%d]", i), "want a package pattern of the module such as ./... or ./pkg/x, got %q", pkg)
		}
	}
	v.goFlags("test.flags", v.s.Test.Flags)
}

// ParsePlatform parses a target platform; goimage cross-compiles for Linux only.
func ParsePlatform(s string) (platforms.Platform, error) {
	p, err := platforms.Parse(s)
	if err != nil {
		return p, fmt.Errorf("want a platform such as linux/arm64, got %q", s)
	}
	if p.OS != "linux" {
		return p, fmt.Errorf("%q: only linux images are supported", s)
	}
	return platforms.Normalize(p), nil
}

func (s *Spec) hasField(path string) bool {
	_, ok := s.positions[path]
	return ok
}

type validator struct {
	s    *Spec
	errs Errors
}

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Pos: v.s.Pos(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// relPath checks a path that must stay inside the module or build context.
func (v *validator) relPath(field, p string) {
	switch {
	case strings.HasPrefix(p, "/"):
		v.add(field, "%q is absolute: give a path relative to the build context", p)
	case strings.HasPrefix(p, "-"):
		v.add(field, "%q looks like a flag: give a path such as ./%s", p, strings.TrimLeft(p, "-"))
	case strings.ContainsAny(p, "\x00\n\r\\"):
		v.add(field, "%q contains characters a path cannot have", p)
	case path.Clean(p) == ".." || strings.HasPrefix(path.Clean(p), "../"):
		v.add(field, "%q leaves the build context", p)
	}
}

func (v *validator) imageRef(field, ref string) {
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		v.add(field, "%q is not an image reference: %v", ref, err)
	}
}

func (v *validator) envKeys(field string, env map[string]string, build bool) {
	for _, k := range SortedKeys(env) {
		switch {
		case !envKeyRe.MatchString(k):
			v.add(field+"."+k, "%q is not a variable name", k)
		case build && slices.Contains(reservedEnv, k):
			v.add(field+"."+k, "goimage sets %s itself%s", k, reservedHint(k))
		}
	}
}

func reservedHint(k string) string {
	switch k {
	case "CGO_ENABLED":
		return ": use `cgo: true`"
	case "GOPROXY", "GOPRIVATE", "GONOSUMDB", "GOINSECURE", "GOFLAGS":
		return ": use `" + strings.ToLower(k) + ":`"
	case "GOOS", "GOARCH", "GOARM":
		return ": use platforms or --platform"
	}
	return ""
}

func (v *validator) noSpace(field, s string) {
	if strings.ContainsAny(s, " \t\r\n") {
		v.add(field, "%q contains white space", s)
	}
}

func (v *validator) argRefs(field, s string) {
	for _, m := range argRefRe.FindAllStringSubmatch(s, -1) {
		if !argNameRe.MatchString(m[1]) {
			v.add(field, "${%s} is not a build arg reference: want ${NAME}", m[1])
		}
	}
}

// ArgRefs returns the build args a value refers to as ${NAME}, in order.
func ArgRefs(s string) []string {
	var names []string
	for _, m := range argRefRe.FindAllStringSubmatch(s, -1) {
		if argNameRe.MatchString(m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

func validPort(p string) bool {
	m := portRe.FindStringSubmatch(p)
	if m == nil {
		return false
	}
	n, _ := strconv.Atoi(m[1])
	return n >= 1 && n <= 65535
}

// SortedKeys returns a map's keys in order, so that everything built from a map is
// deterministic.
func SortedKeys(m map[string]string) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.Sort(keys)
	return keys
}
