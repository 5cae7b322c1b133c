// Command goimage is goimage's command line: it works on Goimagefiles without a daemon.
//
//	goimage llb [FILE]          print the LLB definition the frontend sends, from its own Build
//	goimage init [DIR]          write a Goimagefile for the module or workspace in DIR
//	goimage check [FILE]        lint a Goimagefile, as --call check does
//	goimage dockerfile [FILE]   print the nearest equivalent Dockerfile
//	goimage run IMAGE [ARGS]    run an image's entrypoint on the BuildKit daemon
package main

import (
	"context"
	"fmt"
	"os"
)

const usage = `usage: goimage COMMAND [ARGS]

commands:
  llb [--format raw|json|dot] [--platform P] [--target T] [--build-arg K=V]...
      [--context DIR] [--image-config REF[@DIGEST]=FILE]... [FILE]
                print the LLB definition the frontend sends for FILE (default ./Goimagefile):
                its own Build, run offline with golang:<go> and distroless as their images
                are configured (others, or a digest to pin, from --image-config); raw for
                'buildctl debug dump-llb', json (one object per op), or dot (Graphviz)
  init [--print] [--force] [DIR]
                write DIR/Goimagefile (default .): the main packages the module, or the
                go.work's modules, ship, the product first; --print to stdout, --force over
                an existing one
  check [FILE]  lint FILE offline, the rules of --call check (exit status 1 on a warning)
  dockerfile [FILE]
                print the nearest equivalent Dockerfile, for people who must leave
  run IMAGE [ARGS]
                run IMAGE's entrypoint (with ARGS, else its cmd) as an exec on the
                BuildKit daemon at $BUILDKIT_HOST and print its output
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "llb":
		err = runLLB(context.Background(), os.Stdout, args)
	case "init":
		err = runInit(os.Stdout, args)
	case "check":
		err = runCheck(os.Stdout, args)
	case "dockerfile":
		err = runDockerfile(os.Stdout, args)
	case "run":
		err = runRun(context.Background(), os.Stdout, os.Stderr, args)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return
	default:
		err = fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "goimage: %v\n", err)
		os.Exit(1)
	}
}
