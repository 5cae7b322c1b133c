// Command goimage-helper runs inside the builder, next to the go command, for the parts of
// goimage's graph that a plain go invocation cannot do. The converter embeds this source and
// builds it in the graph (a layer keyed on the source alone), so it uses only the standard
// library.
//
//	goimage-helper deps -o DIR [-std DIR] [-graph FILE] [-tags T] [-vendor] PKG...
//	    writes DIR/go.mod, DIR/go.sum and DIR/goimagedeps/deps.go: a package that imports
//	    every package from outside the main module that the main module's packages in the
//	    build of PKG import. Its bytes change only when imports or module versions change, so
//	    a step that compiles it stays cached across source edits. With -vendor, no go.mod:
//	    the package is compiled inside a copy of the main module with its vendor directory.
//	    With -std, also a module whose package imports the build's standard library packages.
//	    With -graph, also the build's packages outside the standard library, their imports
//	    and modules, as JSON: the converter gives the modules compile steps of their own.
//	goimage-helper modules -o DIR GOMOD
//	    copies from $GOMODCACHE into DIR the modules GOMOD (a go.mod of deps) requires:
//	    their trees and their go.mod, .info and .ziphash files, and for a go line before
//	    1.17 every module's go.mod. The dependency compile reads only these, so a go.mod
//	    change that leaves them alone leaves it cached.
//	goimage-helper cacheprog -dir DIR [-ro DIR]... [-out DIR] [-used] [-stats]
//	    a GOCACHEPROG: the go command's build cache kept in DIR (the layout of GOCACHE), also
//	    reading the read-only caches -ro, every output verified against its hash. With -out,
//	    DIR is only written, and -out receives every entry the build computed (with -used,
//	    also what it read from -ro: exactly what the build used). With -stats, it reports how
//	    many entries came from the -ro caches and from DIR, and how many it did not have.
//	goimage-helper download [-cache DIR] [-read DIR]... [-sums DIR]
//	    runs `go mod download` into $GOMODCACHE with, as the first module proxy, the files
//	    of the persistent directories that match the go.sum files under -sums, and keeps in
//	    -cache what it fetched: only modules the caches lack come from the network.
//	goimage-helper fetch [-cache DIR] [-read DIR]... [--] GOSUMLINE...
//	    fetches the module versions of go.sum lines into $GOMODCACHE, each checked against
//	    them whatever GOSUMDB says: a version with a zip line gets its tree, one with only a
//	    go.mod line its go.mod. The module download steps run it.
//	goimage-helper workspace -- CMD ARG...
//	    runs CMD with GOWORK naming a writable copy of the working directory's go.work, if
//	    there is one: the go command writes missing checksums to go.work.sum even with
//	    -mod=readonly, and the source is a read-only mount.
//	goimage-helper warm [-copy DIR]... -- CMD ARG...
//	    runs CMD, in a writable merged copy of the -copy directories if any, and succeeds
//	    even when CMD fails: warming a cache is an optimisation, and
//	    the build step after it reports any real error at the right place.
//	goimage-helper sbom -o FILE [-created TIME] BINARY...
//	    writes an SPDX 2.3 document of the Go modules each binary links, read from the build
//	    information the binary carries.
//	goimage-helper toolchain -o DIR -epoch TIME [-exclude PATTERN]... GOROOT
//	    copies GOROOT into DIR at the same path, without what the patterns match, and adds
//	    DIR/tmp, every file at TIME: the toolchain layer, keyed on the builder image's digest
//	    where BuildKit's file op would hash every file of GOROOT first.
//	goimage-helper credentials -o FILE [-netrc FILE] [-ssh]
//	    writes a digest of a netrc secret and of the SSH agent's public keys, which the
//	    download step is keyed on.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: goimage-helper deps|modules|download|fetch|cacheprog|warm|workspace|sbom|credentials|toolchain ..."))
	}
	var err error
	switch os.Args[1] {
	case "deps":
		err = deps(os.Args[2:])
	case "modules":
		err = requiredModules(os.Args[2:])
	case "download":
		err = download(os.Args[2:])
	case "fetch":
		err = fetch(os.Args[2:])
	case "cacheprog":
		err = cacheprog(os.Args[2:], os.Stdin, os.Stdout)
	case "warm":
		err = warm(os.Args[2:])
	case "workspace":
		err = workspace(os.Args[2:])
	case "sbom":
		err = sbom(os.Args[2:])
	case "credentials":
		err = credentials(os.Args[2:])
	case "toolchain":
		err = toolchain(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "goimage-helper: %v\n", err)
	os.Exit(1)
}
