package dockerfile

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// The tests read Write's output the way BuildKit's Dockerfile frontend does: its parser, then
// its lexer's variable expansion on the arguments that dockerfile2llb expands. The instructions
// package would type the instructions, but it needs a module go.sum lacks
// (github.com/agext/levenshtein), so reader reads the few instructions Write uses as
// instructions.Parse does.

// instr is one instruction as BuildKit reads it, every value after BuildKit's expansion.
type instr struct {
	// Cmd is the instruction; "RUN sh", "CMD sh" and "ENTRYPOINT sh" are shell forms.
	Cmd string
	// Flags are --name=value, the value expanded where BuildKit expands it (--mount, --chown).
	Flags []string
	// Args are the arguments; ENV and LABEL pairs as KEY=value; an exec form's argv; for
	// "RUN sh", the argv go gets when a real shell runs the command (see runShell).
	Args []string
	// Heredocs are heredocs BuildKit found: none is ever wanted.
	Heredocs []string
}

// markEnv is the environment of BuildKit's expansion: every variable stands for itself in
// angle brackets, so a value that BuildKit expanded shows.
type markEnv struct{}

func (markEnv) Get(name string) (string, bool) { return "<" + name + ">", true }
func (markEnv) Keys() []string                 { return nil }

// instructionsOf parses a Dockerfile as BuildKit does and reads its instructions; args are the
// build args a shell-form RUN runs with.
func instructionsOf(t *testing.T, dockerfile string, args map[string]string) []instr {
	t.Helper()
	res, err := parser.Parse(strings.NewReader(dockerfile))
	if err != nil {
		t.Fatalf("BuildKit cannot parse the Dockerfile: %v\n%s", err, dockerfile)
	}
	for _, w := range res.Warnings {
		t.Errorf("parser warning: %s", w.Short)
	}
	r := reader{t: t, lex: shell.NewLex(res.EscapeToken), args: args}
	var got []instr
	for _, n := range res.AST.Children {
		got = append(got, r.instruction(n))
	}
	return got
}

type reader struct {
	t    *testing.T
	lex  *shell.Lex
	args map[string]string
}

// expand is BuildKit's expansion of one word: quotes removed, escapes and $NAME applied.
func (r reader) expand(word string) string {
	out, _, err := r.lex.ProcessWord(word, markEnv{})
	if err != nil {
		r.t.Errorf("BuildKit cannot expand %q: %v", word, err)
	}
	return out
}

func (r reader) expandAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = r.expand(w)
	}
	return out
}

// instruction reads one instruction.
func (r reader) instruction(n *parser.Node) instr {
	in := instr{Cmd: strings.ToUpper(n.Value), Args: nodeArgs(n)}
	r.flags(&in, n.Flags)
	for _, h := range n.Heredocs {
		in.Heredocs = append(in.Heredocs, h.Name)
	}
	for _, a := range in.Args {
		if h := parser.MustParseHeredoc(a); h != nil && in.Cmd == "COPY" {
			in.Heredocs = append(in.Heredocs, h.Name)
		}
	}
	json := n.Attributes["json"]
	switch in.Cmd {
	case "WORKDIR", "USER", "STOPSIGNAL", "COPY":
		in.Args = r.expandAll(in.Args)
	case "VOLUME":
		for i, a := range in.Args {
			in.Args[i] = r.expand(strings.TrimSpace(a))
		}
	case "ENV", "LABEL":
		in.Args = r.pairs(in.Args)
	case "EXPOSE":
		in.Args = r.ports(in.Args)
	case "RUN":
		if !json {
			in.Cmd += " sh"
			in.Args = runShell(r.t, "sh", strings.Join(in.Args, " "), r.args)
		}
	case "ENTRYPOINT", "CMD":
		if !json {
			in.Cmd += " sh"
		}
	}
	return in
}

// nodeArgs are an instruction's arguments (instructions.nodeArgs).
func nodeArgs(n *parser.Node) []string {
	var args []string
	for a := n.Next; a != nil; a = a.Next {
		args = append(args, a.Value)
	}
	return args
}

// allowedFlags are the flags Write uses: any other is a value read as a flag.
var allowedFlags = map[string][]string{"FROM": {"platform"}, "COPY": {"from", "chown", "chmod"}, "RUN": {"mount"}}

// flags reads an instruction's flags, expanding those BuildKit expands: a --mount option by
// option, as its mount parser does.
func (r reader) flags(in *instr, raw []string) {
	for _, f := range raw {
		name, value, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		switch {
		case !slices.Contains(allowedFlags[in.Cmd], name):
			r.t.Errorf("%s has an unexpected flag %q", in.Cmd, f)
		case name == "mount":
			value = r.mount(value)
		case name == "chown" || name == "chmod":
			value = r.expand(value)
		}
		in.Flags = append(in.Flags, "--"+name+"="+value)
	}
}

func (r reader) mount(m string) string {
	fields, err := csv.NewReader(strings.NewReader(m)).Read()
	if err != nil {
		r.t.Errorf("mount %q: %v", m, err)
	}
	for i, f := range fields {
		k, v, _ := strings.Cut(f, "=")
		fields[i] = k + "=" + r.expand(v)
	}
	return strings.Join(fields, ",")
}

// pairs are ENV's or LABEL's KEY=value pairs, both sides expanded.
func (r reader) pairs(args []string) []string {
	if len(args)%3 != 0 {
		r.t.Errorf("malformed pairs %q", args)
		return args
	}
	var out []string
	for i := 0; i < len(args); i += 3 {
		if args[i+2] != "=" {
			r.t.Errorf("old-form pair %q", args[i:i+3])
		}
		out = append(out, r.expand(args[i])+"="+r.expand(args[i+1]))
	}
	return out
}

// ports are EXPOSE's ports, which BuildKit expands into words.
func (r reader) ports(args []string) []string {
	var out []string
	for _, p := range args {
		ps, err := r.lex.ProcessWords(p, markEnv{})
		if err != nil {
			r.t.Errorf("BuildKit cannot expand EXPOSE %q: %v", p, err)
		}
		out = append(out, ps...)
	}
	return out
}

// runShell runs a shell-form command with sh (a command line such as "busybox sh") and
// describes what it did: go's argv, and any other output or a failure. go is a function
// printing its arguments and the PATH is empty, so an injected command could only fail.
func runShell(t *testing.T, sh, script string, args map[string]string) []string {
	t.Helper()
	shell := append(strings.Fields(sh), "-c", `go() { printf '%s\0' go "$@"; }; `+script)
	cmd := exec.Command(shell[0], shell[1:]...)
	cmd.Env = []string{"PATH=" + t.TempDir()}
	for k, v := range args {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return []string{fmt.Sprintf("failed: %v %q %q", err, stderr.String(), stdout.String())}
	}
	argv := strings.Split(strings.TrimSuffix(stdout.String(), "\x00"), "\x00")
	if stderr.Len() > 0 {
		argv = append(argv, "stderr: "+stderr.String())
	}
	return argv
}

// shells are the POSIX shells of builder images found on this machine: dash (Debian's, so the
// golang image's and the workbench's stand-in), busybox ash (Alpine's), bash in POSIX mode.
func shells(t *testing.T) []string {
	var found []string
	for _, sh := range []string{"dash", "busybox sh", "bash --posix"} {
		if _, err := exec.LookPath(strings.Fields(sh)[0]); err == nil {
			found = append(found, sh)
		}
	}
	if len(found) == 0 {
		t.Skip("no POSIX shell")
	}
	return found
}
