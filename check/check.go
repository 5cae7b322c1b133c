package check

import (
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/distribution/reference"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
)

// DocsURL is where each rule is explained, as DocsURL + "#" + lower-case rule name.
const DocsURL = "https://github.com/goimage/goimage/blob/main/docs/checks.md"

// A Warning is one rule a Goimagefile breaks, at the field that breaks it.
type Warning struct {
	Rule        string
	Description string     // what the rule asks, the same for every warning of it
	Message     string     // what is wrong here
	Field       string     // the spec field path
	Range       spec.Range // where the field stands in the file
}

// URL is the rule's documentation.
func (w Warning) URL() string { return DocsURL + "#" + strings.ToLower(w.Rule) }

// Rules are the checks, by name, with what each asks.
var Rules = map[string]string{
	"RootUser":          "The image runs as a non-root user.",
	"UnpinnedImage":     "Builder and base images name a tag or a digest.",
	"MissingGoSum":      "A module with requirements has a go.sum, so downloads are verified.",
	"TZWithoutTZData":   "An image that sets TZ on a base without time zones embeds them.",
	"ScratchWithoutCAs": "A scratch image whose binaries may speak TLS carries CA certificates.",
}

// Files reads the module directory (Dir inside the build context). fstest.MapFS and the
// fs.ReadFileFS os.DirFS returns are Files; the frontend reads the build context through
// BuildKit.
type Files interface {
	// ReadFile returns a file's bytes, or an error wrapping fs.ErrNotExist when it is absent.
	ReadFile(name string) ([]byte, error)
}

// Run checks a plan. module, when not nil, is read by the rules that look at the module's
// files.
func Run(p *plan.Plan, module Files) []Warning {
	s := p.Spec
	var ws []Warning
	add := func(rule, field, msg string) {
		ws = append(ws, Warning{Rule: rule, Description: Rules[rule], Message: msg, Field: field, Range: p.At(field).Range})
	}
	if p.User == "0" || p.User == "0:0" {
		add("RootUser", "image.user", "the image runs as root; drop `user:` for nonroot (65532)")
	}
	for _, img := range []plan.Image{p.Builder, p.Base} {
		if img.Ref != "" && unpinned(img.Ref) {
			add("UnpinnedImage", img.At.Field, img.Ref+" names no tag or digest: it means :latest, which moves")
		}
	}
	if _, ok := s.Image.Env["TZ"]; ok && s.Base == spec.BaseScratch && !s.TZData {
		add("TZWithoutTZData", "image.env.TZ", "TZ is set but scratch has no time zone database: add `tzdata: true`")
	}
	if s.Base == spec.BaseScratch && !s.CACerts {
		add("ScratchWithoutCAs", "base", "scratch has no CA certificates: add `cacerts: true` if a binary speaks TLS")
	}
	if module != nil && !s.Vendor {
		if gomod, err := module.ReadFile("go.mod"); err == nil && hasRequire(gomod) {
			if _, err := module.ReadFile("go.sum"); errors.Is(err, fs.ErrNotExist) {
				add("MissingGoSum", "dir", path.Join(s.Dir, "go.mod")+" has requirements but no go.sum: run go mod tidy")
			}
		}
	}
	return ws
}

func unpinned(ref string) bool {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false // validation reports it
	}
	_, tagged := named.(reference.Tagged)
	_, digested := named.(reference.Digested)
	return !tagged && !digested
}

func hasRequire(gomod []byte) bool {
	for _, line := range strings.Split(string(gomod), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "require") {
			return true
		}
	}
	return false
}
