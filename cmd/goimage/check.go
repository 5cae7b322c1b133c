package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/goimage/goimage/check"
)

// errWarnings makes `goimage check` exit non-zero when a rule is broken, as --call check does.
var errWarnings = errors.New("the Goimagefile breaks rules (see above)")

// runCheck lints a Goimagefile offline, with the module directory beside it for the rules
// that read files.
func runCheck(w io.Writer, args []string) error {
	p, file, err := readPlan("check", args)
	if err != nil {
		return err
	}
	module := os.DirFS(filepath.Join(filepath.Dir(file), p.Spec.Dir)).(fs.ReadFileFS)
	ws := check.Run(p, module)
	for _, warn := range ws {
		fmt.Fprintf(w, "%s:%s: %s: %s (%s)\n", file, warn.Range.Start, warn.Rule, warn.Message, warn.URL())
	}
	if len(ws) > 0 {
		return errWarnings
	}
	return nil
}
