package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// makefileSymbols are the variables a project's Makefile sets with -X (its release or build
// target's ldflags), as "import/path.Name", with the Makefile's simple variables expanded: a
// version variable there is one the maintainers stamp, even in a package whose name does not
// say so. A symbol that keeps a reference init cannot expand is left out.
func makefileSymbols(dir string) (map[string]bool, error) {
	var data []byte
	for _, name := range []string{"GNUmakefile", "makefile", "Makefile"} {
		d, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		data = d
		break
	}
	vars := map[string]string{}
	for _, m := range makeAssignment.FindAllStringSubmatch(string(data), -1) {
		if _, set := vars[m[1]]; !set {
			vars[m[1]] = strings.TrimSpace(m[2])
		}
	}
	symbols := map[string]bool{}
	for _, m := range makeSetFlag.FindAllStringSubmatch(string(data), -1) {
		sym := m[1]
		for i := 0; i < 3 && strings.Contains(sym, "$"); i++ {
			sym = makeReference.ReplaceAllStringFunc(sym, func(ref string) string {
				return vars[strings.Trim(ref, "$(){}")]
			})
		}
		if sym != "" && !strings.ContainsAny(sym, "$ ") && strings.Contains(sym, ".") {
			symbols[sym] = true
		}
	}
	return symbols, nil
}

var (
	// makeAssignment is a line NAME = value (also :=, ::=, ?=, +=).
	makeAssignment = regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)\s*(?::{1,2}|\?|\+)?=[ \t]*(.*)$`)
	// makeSetFlag is a -X flag's symbol: "-X sym=value", "-X=sym=value", quoted or not.
	makeSetFlag = regexp.MustCompile(`-X[= ]\s*['"]?([^\s'"=]+)=`)
	// makeReference is $(NAME) or ${NAME}.
	makeReference = regexp.MustCompile(`\$[({][A-Za-z_][A-Za-z0-9_]*[)}]`)
)
