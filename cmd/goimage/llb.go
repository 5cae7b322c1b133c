package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/goimage/goimage/frontend"
	"github.com/goimage/goimage/frontend/offline"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/encoding/protojson"
)

// runLLB writes the definition the frontend sends for a Goimagefile: it runs the frontend's
// Build on the offline gateway (frontend/offline), which reads the build context from disk
// and knows the configurations of golang:<go> and distroless as their images have them,
// plus any given with --image-config. The graph is the frontend's own, image digests aside:
// offline, references stay unpinned unless --image-config gives a digest.
func runLLB(ctx context.Context, w io.Writer, args []string) error {
	fl := flag.NewFlagSet("llb", flag.ContinueOnError)
	format := fl.String("format", "raw", "raw (for buildctl debug dump-llb), json or dot")
	contextDir := fl.String("context", "", "the build context (default: the Goimagefile's directory)")
	platform := fl.String("platform", "", "the target platform (default: the Goimagefile's first, else linux/amd64)")
	target := fl.String("target", "", "a binary, or test")
	var buildArgs, imageConfigs multiFlag
	fl.Var(&buildArgs, "build-arg", "NAME=VALUE, as docker buildx build --build-arg (repeatable)")
	fl.Var(&imageConfigs, "image-config", "REF=FILE: the image configuration (JSON) of REF, or REF@DIGEST=FILE (repeatable)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *format != "raw" && *format != "json" && *format != "dot" {
		return fmt.Errorf("--format %q: want raw, json or dot", *format)
	}
	s, file, err := readSpec("llb", fl.Args())
	if err != nil {
		return err
	}
	images, err := knownImages(s, imageConfigs)
	if err != nil {
		return err
	}
	opts := map[string]string{"filename": filepath.Base(file), "target": *target}
	if *platform != "" {
		opts["platform"] = *platform
	} else if len(s.Platforms) == 0 {
		opts["platform"] = "linux/amd64"
	}
	for _, a := range buildArgs {
		k, v, _ := strings.Cut(a, "=")
		opts["build-arg:"+k] = v
	}
	if *contextDir == "" {
		*contextDir = filepath.Dir(file)
	}
	gw := &offline.Client{
		Opts:   opts,
		Locals: map[string]fs.FS{"context": os.DirFS(*contextDir), "dockerfile": os.DirFS(filepath.Dir(file))},
		Images: images,
	}
	def, err := frontendDefinition(ctx, gw)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	switch *format {
	case "json":
		return writeJSON(w, def)
	case "dot":
		return writeDot(w, def)
	}
	return llb.WriteTo(def, w)
}

// frontendDefinition runs the frontend on gw and returns the first definition it solved
// that is a build rather than a read of files: the image's (or the test target's).
func frontendDefinition(ctx context.Context, gw *offline.Client) (*llb.Definition, error) {
	if _, err := frontend.Build(ctx, gw); err != nil {
		return nil, err
	}
	for _, req := range gw.Unread() {
		src, err := offline.ResultSource(req.Definition)
		if err != nil {
			return nil, err
		}
		if src == nil || !strings.HasPrefix(src.Identifier, "local://") {
			var def llb.Definition
			def.FromPB(req.Definition)
			return &def, nil
		}
	}
	return nil, errors.New("the frontend solved no build")
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// llbOp is one op of a definition, for --format json and dot.
type llbOp struct {
	Digest digest.Digest   `json:"digest"`
	Name   string          `json:"name,omitempty"`
	Op     json.RawMessage `json:"op"`
	op     *pb.Op
}

// ops decodes a definition's ops in order (inputs before the ops that read them).
func ops(def *llb.Definition) ([]llbOp, error) {
	var out []llbOp
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			return nil, fmt.Errorf("decode op: %w", err)
		}
		d := digest.FromBytes(dt)
		js, err := protojson.Marshal(&op)
		if err != nil {
			return nil, err
		}
		out = append(out, llbOp{Digest: d, Name: def.Metadata[d].Description["llb.customname"], Op: js, op: &op})
	}
	return out, nil
}

func writeJSON(w io.Writer, def *llb.Definition) error {
	list, err := ops(def)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(list)
}

// writeDot writes the graph for Graphviz: an edge from each input to the op reading it.
func writeDot(w io.Writer, def *llb.Definition) error {
	list, err := ops(def)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "digraph goimage {\n  rankdir=LR;\n  node [shape=box];")
	for _, o := range list {
		name := o.Name
		switch {
		case name != "":
		case o.op.GetSource() != nil:
			name = o.op.GetSource().GetIdentifier()
		default:
			name = "result"
		}
		fmt.Fprintf(w, "  %q [label=%q];\n", o.Digest, name)
		for _, in := range o.op.Inputs {
			fmt.Fprintf(w, "  %q -> %q;\n", in.Digest, o.Digest)
		}
	}
	_, err = fmt.Fprintln(w, "}")
	return err
}

// readSpec reads and parses the one optional FILE argument of a command, default Goimagefile.
func readSpec(cmd string, args []string) (*spec.Spec, string, error) {
	if len(args) > 1 {
		return nil, "", fmt.Errorf("%s takes at most one FILE", cmd)
	}
	file := "Goimagefile"
	if len(args) == 1 {
		file = args[0]
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	s, err := spec.Parse(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", file, err)
	}
	return s, file, nil
}

// readPlan is readSpec, resolved without build args: for the commands that read the file
// rather than build it.
func readPlan(cmd string, args []string) (*plan.Plan, string, error) {
	s, file, err := readSpec(cmd, args)
	if err != nil {
		return nil, "", err
	}
	p, err := plan.Resolve(s, plan.Inputs{})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", file, err)
	}
	return p, file, nil
}
