package plan

import (
	"fmt"
	"slices"

	"github.com/goimage/goimage/spec"
)

// The bases `base: distroless` names, non-root: static (no C library), or with cgo the one
// holding glibc that cgo binaries link against.
const (
	DistrolessImage    = "gcr.io/distroless/static-debian12:nonroot"
	DistrolessCGOImage = "gcr.io/distroless/base-debian12:nonroot"
)

// namedUsers are the ids the named users stand for: distroless's nonroot, and root.
var namedUsers = map[string]string{spec.UserNonroot: "65532:65532", spec.UserRoot: "0:0"}

// DefaultTestPackages are the packages the test target tests when the file names none.
var DefaultTestPackages = []string{"./..."}

// Inputs are what a build gives besides the Goimagefile.
type Inputs struct {
	// BuildArgs are the values ${NAME} expands to in ldflags and gcflags; an unset one
	// expands to nothing.
	BuildArgs map[string]string
}

// Plan is what one build of a Goimagefile makes.
type Plan struct {
	// Spec is the decoded file: the values a plan passes on as written (env, the module
	// settings, generate steps, files, image configuration) are read from it.
	Spec *spec.Spec
	// Builder is the image the go commands run in.
	Builder Image
	// Base is the final image's base; its Ref is "" for scratch.
	Base Image
	// Binaries are the programs built into the image, in entrypoint order.
	Binaries []Binary
	// Test is the test target.
	Test Test
	// User is the user the image runs as, a named user as the ids it stands for.
	User string
	// Args are the build args the file reads, each once, at its first use.
	Args []Arg
	// Err is what Resolve returned: the flag entries the build args leave unreadable, which
	// the binaries' flags leave out. A build of the binaries must refuse a plan with one.
	Err error
}

// Location is where a plan item comes from: a field path and its range in the file.
type Location struct {
	Field string
	Range spec.Range
}

// Image is an image reference and the field that names it.
type Image struct {
	Ref string
	At  Location
}

// Test is the test target: go test of Packages with Flags.
type Test struct {
	Packages []string
	Flags    []string
	At       Location
}

// Arg is a build arg the file reads.
type Arg struct {
	Name string
	// Description says where the file reads it: "expanded in the ldflags of app".
	Description string
	At          Location
}

// Resolve returns the plan of s for a build with the given inputs. Its errors are the
// ldflags and gcflags entries the build args leave unreadable to the go command, every one,
// each at its field (spec.Errors); the plan comes back with them too (Plan.Err), for what
// reads the file rather than builds its binaries (targets, outline, the test target).
func Resolve(s *spec.Spec, in Inputs) (*Plan, error) {
	p := &Plan{Spec: s, User: s.Image.User}
	if id, ok := namedUsers[s.Image.User]; ok {
		p.User = id
	}
	builderField := "go"
	if s.Builder != "" {
		builderField = "builder"
	}
	p.Builder = Image{Ref: s.BuilderImage(), At: p.At(builderField)}
	p.Base = Image{Ref: baseImage(s), At: p.At("base")}
	p.Test = Test{Packages: s.Test.Packages, Flags: s.Test.Flags, At: p.At("test")}
	if len(p.Test.Packages) == 0 {
		p.Test.Packages = DefaultTestPackages
	}
	var errs spec.Errors
	for i, b := range s.Binaries {
		bin, berrs := p.binary(i, b, in.BuildArgs)
		p.Binaries = append(p.Binaries, bin)
		errs = append(errs, berrs...)
		p.addArgs(i, b)
	}
	if len(errs) > 0 {
		p.Err = errs
	}
	return p, p.Err
}

// At is the location of a field path: the value's range, or for a field the file does not
// spell its nearest spelled ancestor's; a defaulted top-level field (go, base, test) stands
// at version, which every Goimagefile spells. Never line 1 for want of a position.
func (p *Plan) At(field string) Location {
	r := p.Spec.Range(field)
	if r.Start.Line == 0 {
		r = p.Spec.Range("version")
	}
	return Location{Field: field, Range: r}
}

// baseImage is the image reference a spec's base stands for; "" for scratch.
func baseImage(s *spec.Spec) string {
	switch s.Base {
	case spec.BaseScratch:
		return ""
	case spec.BaseDistroless:
		if s.CGO {
			return DistrolessCGOImage
		}
		return DistrolessImage
	}
	return s.Base
}

// addArgs records the build args binary i reads: its ldflags before its gcflags, each at
// the entry that first reads it.
func (p *Plan) addArgs(i int, b spec.Binary) {
	for _, list := range []struct {
		field   string
		entries []string
	}{{"ldflags", b.Ldflags}, {"gcflags", b.Gcflags}} {
		for j, e := range list.entries {
			for _, name := range spec.ArgRefs(e) {
				if slices.ContainsFunc(p.Args, func(a Arg) bool { return a.Name == name }) {
					continue
				}
				p.Args = append(p.Args, Arg{
					Name:        name,
					Description: fmt.Sprintf("expanded in the %s of %s", list.field, b.Name),
					At:          p.At(fmt.Sprintf("binaries[%d].%s[%d]", i, list.field, j)),
				})
			}
		}
	}
}
