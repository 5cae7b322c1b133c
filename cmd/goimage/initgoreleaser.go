package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/goimage/goimage/spec"
	"gopkg.in/yaml.v3"
)

// goreleaserFiles are the names GoReleaser reads its configuration from, in its order.
var goreleaserFiles = []string{".goreleaser.yml", ".goreleaser.yaml", "goreleaser.yml", "goreleaser.yaml"}

// goreleaserConfig is the part of a GoReleaser configuration (v1 and v2) init reads.
type goreleaserConfig struct {
	ProjectName string            `yaml:"project_name"`
	Builds      []goreleaserBuild `yaml:"builds"`
}

// goreleaserBuild is one of its builds.
type goreleaserBuild struct {
	ID      string     `yaml:"id"`
	Builder string     `yaml:"builder"`
	Skip    any        `yaml:"skip"`
	Dir     string     `yaml:"dir"`
	Main    string     `yaml:"main"`
	Binary  string     `yaml:"binary"`
	Ldflags stringList `yaml:"ldflags"`
	Tags    stringList `yaml:"tags"`
	Flags   stringList `yaml:"flags"`
	Env     []string   `yaml:"env"`
}

// stringList is a YAML string or list of strings, as GoReleaser takes ldflags, tags, flags.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = stringList{n.Value}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*l = list
	return nil
}

// goreleaserDefaultLdflags are what GoReleaser passes when a build sets no ldflags.
const goreleaserDefaultLdflags = "-s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}} -X main.builtBy=goreleaser"

// goreleaserArgs are the build args GoReleaser's template fields become.
var goreleaserArgs = map[string]string{
	"Version": "${VERSION}", "RawVersion": "${VERSION}", "Tag": "${VERSION}",
	"Commit": "${GOIMAGE_REVISION}", "FullCommit": "${GOIMAGE_REVISION}", "ShortCommit": "${GOIMAGE_REVISION}",
	"Date": "${GOIMAGE_DATE}", "CommitDate": "${GOIMAGE_DATE}",
}

var (
	templateField       = regexp.MustCompile(`\{\{-?\s*\.(\w+)\s*-?\}\}`)
	projectNameTemplate = regexp.MustCompile(`\{\{-?\s*\.ProjectName\s*-?\}\}`)
)

// readGoreleaser reads the GoReleaser configuration in dir, nil when there is none.
func readGoreleaser(dir string) (*goreleaserConfig, string, error) {
	for _, name := range goreleaserFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		var c goreleaserConfig
		if err := yaml.Unmarshal(data, &c); err != nil {
			return nil, "", fmt.Errorf("%s: %w", name, err)
		}
		return &c, name, nil
	}
	return nil, "", nil
}

// goreleaserBinaries are the binaries a GoReleaser configuration builds, one per binary
// name (builds for other platforms of the same binary are one), with the notes of what init
// could not carry over; cgo says a build turns CGO_ENABLED on. declared are the version
// variables a main package declares: GoReleaser's default ldflags set only those.
func goreleaserBinaries(c *goreleaserConfig, file, project string, declared func(main string) []versionVar) (bins []initBinary, cgo bool) {
	if c.ProjectName != "" {
		project = c.ProjectName
	}
	builds := c.Builds
	if len(builds) == 0 {
		builds = []goreleaserBuild{{}} // GoReleaser's default: the module root
	}
	for _, b := range builds {
		if (b.Builder != "" && b.Builder != "go") || b.Skip == true || b.Skip == "true" {
			continue
		}
		if slices.Contains(b.Env, "CGO_ENABLED=1") {
			cgo = true
		}
		main := path.Clean(path.Join(orDot(b.Dir), orDot(b.Main)))
		if strings.HasSuffix(main, ".go") {
			main = path.Dir(main) // a file of the main package: goimage builds packages
		}
		bin := initBinary{Main: mainPath(main)}
		bin.Name, bin.Notes = goreleaserName(b, project, bin.Main)
		from := file
		if b.ID != "" {
			from += " build " + b.ID
		}
		bin.Notes = append([]string{"from " + from}, bin.Notes...)
		if slices.ContainsFunc(bins, func(o initBinary) bool { return o.Name == bin.Name }) {
			continue
		}
		var notes []string
		if len(b.Ldflags) > 0 {
			bin.Ldflags, notes = goreleaserLdflags(b.Ldflags, project)
		} else {
			// GoReleaser's default -X of a variable the binary does not declare does nothing.
			defaults, _ := goreleaserLdflags([]string{goreleaserDefaultLdflags}, project) // maps every field
			vars := declared(bin.Main)
			for _, f := range defaults {
				sym, _, _ := strings.Cut(strings.TrimPrefix(f, "-X "), "=")
				if slices.ContainsFunc(vars, func(v versionVar) bool { return v.Symbol == sym }) {
					bin.Ldflags = append(bin.Ldflags, f)
				}
			}
			if len(bin.Ldflags) > 0 {
				notes = append(notes, "GoReleaser's default ldflags, for the variables the binary declares")
			}
		}
		bin.Notes = append(bin.Notes, notes...)
		bin.Tags = b.Tags
		for _, f := range b.Flags {
			if spec.SetByGoimage(f) {
				bin.Notes = append(bin.Notes, "flag "+f+": goimage sets it itself")
				continue
			}
			bin.Flags = append(bin.Flags, f)
		}
		bins = append(bins, bin)
	}
	return bins, cgo
}

func orDot(s string) string {
	if s == "" {
		return "."
	}
	return s
}

// goreleaserName is a build's binary name: its binary, with {{.ProjectName}} replaced; else
// the project's name for the module root, else its main package's last element.
func goreleaserName(b goreleaserBuild, project, main string) (string, []string) {
	name := strings.TrimSpace(b.Binary)
	name = projectNameTemplate.ReplaceAllString(name, project)
	if name != "" && !strings.Contains(name, "{{") && !strings.Contains(name, "/") {
		return name, nil
	}
	fallback := path.Base(main)
	if main == "." {
		fallback = project
	}
	if name == "" {
		return fallback, nil
	}
	return fallback, []string{fmt.Sprintf("binary %q: a template or path init cannot carry over", b.Binary)}
}

// goreleaserLdflags turns GoReleaser ldflags into goimage's: -s and -w dropped (goimage sets
// them), each -X its own entry with GoReleaser's version, commit and date fields as build
// args, and a word with a template init cannot map left out with a note.
func goreleaserLdflags(entries []string, project string) (out, notes []string) {
	for _, e := range entries {
		// Templates first: `{{ .Version }}` holds spaces, which would split a word. A
		// template init cannot map stays as a placeholder, which marks its word.
		var unmapped []string // placeholder, template, ...
		e = anyTemplate.ReplaceAllStringFunc(e, func(t string) string {
			if arg, ok := mapTemplate(t, project); ok {
				return arg
			}
			p := fmt.Sprintf("\x00%d\x00", len(unmapped)/2)
			unmapped = append(unmapped, p, t)
			return p
		})
		restore := strings.NewReplacer(unmapped...).Replace
		words, err := spec.SplitFlags(e)
		if err != nil {
			notes = append(notes, fmt.Sprintf("ldflags %q: %v", restore(e), err))
			continue
		}
		for i := 0; i < len(words); i++ {
			group := []string{words[i]}
			switch {
			case words[i] == "-s" || words[i] == "-w":
				continue
			case words[i] == "-X" && i+1 < len(words):
				i++
				group = append(group, words[i])
			}
			// Quoted as the go command reads it back: a value may hold spaces.
			w, err := spec.JoinFlags(group)
			switch {
			case strings.Contains(w, "\x00"):
				notes = append(notes, fmt.Sprintf("ldflags %q: a template init cannot map", restore(strings.Join(group, " "))))
			case err != nil:
				notes = append(notes, fmt.Sprintf("ldflags %q: %v", strings.Join(group, " "), err))
			default:
				out = append(out, w)
			}
		}
	}
	return out, notes
}

var anyTemplate = regexp.MustCompile(`\{\{.*?\}\}`)

// mapTemplate is the build arg (or project name) a GoReleaser template of one field stands
// for; ok is false for any other template.
func mapTemplate(t, project string) (string, bool) {
	m := templateField.FindStringSubmatch(t)
	if m == nil || m[0] != t {
		return "", false
	}
	if m[1] == "ProjectName" {
		return project, true
	}
	arg, ok := goreleaserArgs[m[1]]
	return arg, ok
}
