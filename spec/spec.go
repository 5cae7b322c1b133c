package spec

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
	// Base is the final stage: scratch, distroless (static, nonroot) or an image reference.
	Base string `yaml:"base"`
	// Image is the image configuration.
	Image Image `yaml:"image"`
	// Platforms are the default target platforms, used when the build asks for none.
	Platforms []string `yaml:"platforms"`

	// positions maps field paths ("binaries[0].main") to where they stand in the file.
	positions map[string]Pos
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
}

// Image is the configuration of the final image.
type Image struct {
	Entrypoint []string          `yaml:"entrypoint"`
	Cmd        []string          `yaml:"cmd"`
	User       string            `yaml:"user"`
	Workdir    string            `yaml:"workdir"`
	Env        map[string]string `yaml:"env"`
	Labels     map[string]string `yaml:"labels"`
	Expose     []string          `yaml:"expose"`
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
