package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// dockerfileImage is what init takes from the final stage of a project's Dockerfile: what
// the image it ships looks like.
type dockerfileImage struct {
	Base            string // scratch or distroless
	TZData, CACerts bool   // a scratch stage copies time zones or CA certificates in
	Expose          []string
	User            string // numeric, not root; "" keeps goimage's nonroot
	Entrypoint, Cmd []string
	Volumes         []string
	Workdir         string   // the last absolute WORKDIR but /
	Notes           []string // what init did not carry over, and why
	// NotTheImage says why the final stage is not the image of the binaries (a test or
	// development image): then init reads nothing else of it.
	NotTheImage string
}

var numericUser = regexp.MustCompile(`^[0-9]+(:[0-9]+)?$`)

// readDockerfile reads dir/Dockerfile's final stage, nil when there is none. binaries are
// the names init gives the binaries: an ENTRYPOINT or CMD that runs one keeps its arguments.
func readDockerfile(dir string, binaries []string) (*dockerfileImage, error) {
	data, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ast, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("Dockerfile: %w", err)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil || len(stages) == 0 {
		return nil, fmt.Errorf("Dockerfile: %w", errors.Join(err, errors.New("no stage")))
	}
	final := stages[len(stages)-1]
	img := &dockerfileImage{}
	isBinary := func(p string) bool { return slices.Contains(binaries, path.Base(p)) }
	ships := false // the stage copies in or runs one of the binaries
	switch base := strings.ToLower(final.BaseName); {
	case base == "scratch":
		img.Base = "scratch"
	case strings.Contains(base, "distroless"):
		img.Base = "distroless"
	default:
		img.Base = "distroless"
		img.Notes = append(img.Notes, fmt.Sprintf("its base %s: distroless instead (non-root, CA certificates, time zones, no shell)", final.BaseName))
	}
	for _, cmd := range final.Commands {
		switch c := cmd.(type) {
		case *instructions.ExposeCommand:
			img.Expose = append(img.Expose, c.Ports...)
		case *instructions.VolumeCommand:
			img.Volumes = append(img.Volumes, c.Volumes...)
		case *instructions.WorkdirCommand:
			// A relative WORKDIR adds to the base's, which init does not know.
			if path.IsAbs(c.Path) && path.Clean(c.Path) != "/" {
				img.Workdir = path.Clean(c.Path)
			}
		case *instructions.UserCommand:
			img.user(c.User)
		case *instructions.EntrypointCommand:
			img.Entrypoint = img.command("ENTRYPOINT", c.ShellDependantCmdLine, binaries)
		case *instructions.CmdCommand:
			img.Cmd = img.command("CMD", c.ShellDependantCmdLine, nil)
		case *instructions.CopyCommand:
			ships = ships || slices.ContainsFunc(c.SourcePaths, isBinary)
			for _, src := range c.SourcePaths {
				img.TZData = img.TZData || (img.Base == "scratch" && strings.Contains(src, "zoneinfo"))
				img.CACerts = img.CACerts || (img.Base == "scratch" && strings.Contains(src, "ca-certificates"))
			}
		}
	}
	for _, c := range [][]string{img.Entrypoint, img.Cmd} {
		ships = ships || (len(c) > 0 && isBinary(c[0]))
	}
	if !ships {
		return &dockerfileImage{NotTheImage: fmt.Sprintf("its final stage (FROM %s) neither copies in nor runs %s, "+
			"so it is not their image (a test or development image, say)", final.BaseName, strings.Join(binaries, " or "))}, nil
	}
	// With no ENTRYPOINT, a CMD is the command: one that runs a binary is the binary and
	// its arguments; one that runs anything else cannot run in goimage's image.
	if img.Entrypoint == nil && len(img.Cmd) > 0 {
		if isBinary(img.Cmd[0]) {
			img.Entrypoint = []string{"/" + path.Base(img.Cmd[0])}
			img.Cmd = img.Cmd[1:]
		} else {
			img.Notes = append(img.Notes, fmt.Sprintf("its CMD %s: runs none of the binaries", strings.Join(img.Cmd, " ")))
			img.Cmd = nil
		}
	}
	return img, nil
}

// user keeps a numeric non-root user; root and names leave goimage's nonroot, with a note.
func (img *dockerfileImage) user(u string) {
	uid, _, _ := strings.Cut(u, ":")
	switch {
	case uid == "0" || uid == "root":
		img.Notes = append(img.Notes, "its USER "+u+": the image runs as nonroot (65532) instead")
		img.User = ""
	case uid == "65532" || uid == "nonroot":
		img.User = ""
	case numericUser.MatchString(u):
		img.User = u
	default:
		img.Notes = append(img.Notes, "its USER "+u+": a name goimage's bases do not have; nonroot (65532) instead")
		img.User = ""
	}
}

// command is an exec-form ENTRYPOINT or CMD; a shell form is left out with a note (the
// bases have no shell). An ENTRYPOINT must run one of the binaries, then at /NAME.
func (img *dockerfileImage) command(instr string, c instructions.ShellDependantCmdLine, binaries []string) []string {
	if c.PrependShell {
		img.Notes = append(img.Notes, fmt.Sprintf("its shell-form %s %s: the image has no shell", instr, strings.Join(c.CmdLine, " ")))
		return nil
	}
	argv := slices.Clone(c.CmdLine)
	if binaries == nil || len(argv) == 0 {
		return argv
	}
	if name := path.Base(argv[0]); slices.Contains(binaries, name) {
		argv[0] = "/" + name
		return argv
	}
	img.Notes = append(img.Notes, fmt.Sprintf("its %s %s: runs none of the binaries", instr, strings.Join(argv, " ")))
	return nil
}
