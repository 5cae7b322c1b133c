package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	goimagellb "github.com/goimage/goimage/llb"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/encoding/protojson"
)

// runLLB writes the definition for a Goimagefile: the same graph the frontend builds, with
// the context as a local source named "context" and base images unresolved.
func runLLB(ctx context.Context, w io.Writer, args []string) error {
	fl := flag.NewFlagSet("llb", flag.ContinueOnError)
	format := fl.String("format", "raw", "raw (for buildctl debug dump-llb), json or dot")
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
	res, err := goimagellb.Convert(ctx, s, goimagellb.Options{})
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	def, err := res.State.Marshal(ctx)
	if err != nil {
		return fmt.Errorf("marshal LLB: %w", err)
	}
	switch *format {
	case "json":
		return writeJSON(w, def)
	case "dot":
		return writeDot(w, def)
	}
	return llb.WriteTo(def, w)
}

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
