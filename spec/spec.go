package spec

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Defaults applied by Parse where the Goimagefile is silent.
const (
	DefaultGo   = "1.26"
	DefaultBase = BaseDistroless
	DefaultUser = UserNonroot
)

// Named bases and users with a meaning of their own.
const (
	BaseScratch    = "scratch"
	BaseDistroless = "distroless"
	UserNonroot    = "nonroot"
	UserRoot       = "root"
)

// Spec is a decoded Goimagefile (schema version 1).
type Spec struct {
	// Version is the schema version; required, and 1 is the only one.
	Version int `yaml:"version"`
	// Go is the toolchain's minor version; the builder image is golang:<Go>.
	Go string `yaml:"go"`
	// Builder is an explicit builder image; it wins over Go.
	Builder string `yaml:"builder"`
	// Dir is the module root inside the build context.
	Dir string `yaml:"dir"`
	// Main is shorthand for a single binary built from this package.
	Main string `yaml:"main"`
	// Binaries are the programs built into the image, in entrypoint order.
	Binaries []Binary `yaml:"binaries"`
	// Env is the build-time environment of the go commands.
	Env map[string]string `yaml:"env"`
	// CGO turns CGO_ENABLED on; off by default.
	CGO bool `yaml:"cgo"`
	// GoProxy and GoPrivate set GOPROXY and GOPRIVATE for the module download.
	GoProxy   string `yaml:"goproxy"`
	GoPrivate string `yaml:"goprivate"`
	// GoNoSumDB and GoInsecure set GONOSUMDB and GOINSECURE for the module download.
	GoNoSumDB  string `yaml:"gonosumdb"`
	GoInsecure string `yaml:"goinsecure"`
	// GoFlags sets GOFLAGS for every go command.
	GoFlags string `yaml:"goflags"`
	// Vendor builds from the module's vendor directory (-mod=vendor): no download step.
	Vendor bool `yaml:"vendor"`
	// Private gives the module download the credentials private modules need.
	Private Private `yaml:"private"`
	// Files are extra files and directories of the build context copied into the image.
	Files []File `yaml:"files"`
	// TZData embeds the time zone database in every binary (the timetzdata build tag),
	// for bases without /usr/share/zoneinfo.
	TZData bool `yaml:"tzdata"`
	// CACerts copies the builder's CA certificate bundle into the image, for scratch.
	CACerts bool `yaml:"cacerts"`
	// Test configures the test target, `go test` of the module in the graph.
	Test Test `yaml:"test"`
	// Generate are code generation steps run before the build, in order.
	Generate []Generate `yaml:"generate"`
	// Base is the final stage: scratch, distroless (static, nonroot) or an image reference.
	Base string `yaml:"base"`
	// Image is the image configuration.
	Image Image `yaml:"image"`
	// Platforms are the default target platforms, used when the build asks for none.
	Platforms []string `yaml:"platforms"`

	// positions maps field paths ("binaries[0].main") to where they stand in the file, and
	// ends to where their text ends.
	positions, ends map[string]Pos
	// shorthand is set when Binaries comes from the `main:` shorthand: positions then
	// locates binaries[0] at main, which the file does not spell as binaries.
	shorthand bool
}

// Binary is one program built into the image.
type Binary struct {
	// Name is the output file name, /Name in the image; default: the last element of Main.
	Name string `yaml:"name"`
	// Main is the package to build, relative to the module root ("./cmd/app").
	Main string `yaml:"main"`
	// Tags are build tags.
	Tags []string `yaml:"tags"`
	// Ldflags are extra linker flags; ${NAME} expands to the build arg NAME.
	Ldflags []string `yaml:"ldflags"`
	// Gcflags are compiler flags, passed as -gcflags.
	Gcflags []string `yaml:"gcflags"`
	// Flags are extra go build flags, such as -race or -buildmode=pie.
	Flags []string `yaml:"flags"`
}

// Package is Main as go build reads it: a directory of the module, never a standard library
// import path or a flag.
func (b Binary) Package() string {
	p := path.Clean(b.Main)
	if p == "." {
		return "."
	}
	return "./" + p
}

// Private holds the credentials of the module download, never in a layer or a cache key.
type Private struct {
	// Netrc is the id of a BuildKit secret holding a .netrc file (`--secret id=ID,src=FILE`):
	// credentials for module proxies and git over HTTPS.
	Netrc string `yaml:"netrc"`
	// SSH forwards the build's default SSH agent (`--ssh default`) for git over SSH.
	SSH bool `yaml:"ssh"`
}

// File is a file or directory of the build context copied into the image.
type File struct {
	// Src is the path in the build context.
	Src string `yaml:"src"`
	// Dst is the absolute path in the image.
	Dst string `yaml:"dst"`
}

// Generate is a code generation step: a command run in the module directory on a copy of
// its inputs alone, with the network off; the files it adds or changes join the build's
// source. It re-runs only when its inputs, the module files or its tools change.
type Generate struct {
	// Run is the command, as argv: `go tool NAME` for a go.mod tool directive, or a tool
	// that Install provides.
	Run []string `yaml:"run"`
	// Inputs are the paths of the module (files, directories or patterns) the command reads
	// and writes.
	Inputs []string `yaml:"inputs"`
	// Install are tools installed first with `go install PATH@VERSION`, on the PATH of Run.
	Install []string `yaml:"install"`
}

// Test is the test target: `--target test` runs go test and fails the build on a failure.
type Test struct {
	// Packages are the packages tested; empty means ./..., the whole module.
	Packages []string `yaml:"packages"`
	// Flags are extra go test flags, such as -run or -short.
	Flags []string `yaml:"flags"`
}

// Image is the configuration of the final image.
type Image struct {
	// Entrypoint is the command the image runs; default: the first binary.
	Entrypoint []string `yaml:"entrypoint"`
	// Cmd are the entrypoint's default arguments.
	Cmd []string `yaml:"cmd"`
	// User is nonroot (65532, the default), root, a uid or uid:gid, or a name the base knows.
	User string `yaml:"user"`
	// Workdir is the working directory; default /.
	Workdir string `yaml:"workdir"`
	// Env is the runtime environment, over the base's.
	Env map[string]string `yaml:"env"`
	// Labels are image labels, over the base's and the build's OCI labels.
	Labels map[string]string `yaml:"labels"`
	// Expose are ports, such as 8080 or 53/udp.
	Expose []string `yaml:"expose"`
	// Volumes are absolute paths declared as volumes.
	Volumes []string `yaml:"volumes"`
	// StopSignal is the signal that stops a container, such as SIGTERM.
	StopSignal string `yaml:"stopsignal"`
}

// BuilderImage is the image the go commands run in.
func (s *Spec) BuilderImage() string {
	if s.Builder != "" {
		return s.Builder
	}
	return "golang:" + s.Go
}

// Pos is where the value at a field path stands in the file; for a path the file does
// not spell out, the position of its nearest ancestor that it does, else the zero Pos.
func (s *Spec) Pos(path string) Pos {
	for path != "" {
		if p, ok := s.positions[path]; ok {
			return p
		}
		path = parentPath(path)
	}
	return Pos{}
}

// selectBinary keeps the positions of one binary, renamed binaries[0], and of every field
// outside binaries.
func selectBinary(positions map[string]Pos, from string) map[string]Pos {
	out := map[string]Pos{}
	for p, pos := range positions {
		switch {
		case p == from || strings.HasPrefix(p, from+"."):
			out["binaries[0]"+strings.TrimPrefix(p, from)] = pos
		case !strings.HasPrefix(p, "binaries["):
			out[p] = pos
		}
	}
	return out
}

// Targets are the names --target accepts: each binary's, then the test target's.
func (s *Spec) Targets() []string {
	names := make([]string, 0, len(s.Binaries)+1)
	for _, b := range s.Binaries {
		names = append(names, b.Name)
	}
	return append(names, TestTarget)
}

// Select returns the spec of an image holding only the named binary, as `--target NAME`
// asks. Its entrypoint is that binary unless the file sets one; positions follow the
// binary, so errors still point at its lines.
func (s *Spec) Select(name string) (*Spec, error) {
	i := slices.IndexFunc(s.Binaries, func(b Binary) bool { return b.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("target %q: not a binary of this Goimagefile; targets are %s", name, strings.Join(s.Targets(), ", "))
	}
	out := *s
	out.Binaries = []Binary{s.Binaries[i]}
	if !s.hasField("image.entrypoint") {
		out.Image.Entrypoint = []string{"/" + name}
	}
	from := fmt.Sprintf("binaries[%d]", i)
	out.positions, out.ends = selectBinary(s.positions, from), selectBinary(s.ends, from)
	return &out, nil
}
