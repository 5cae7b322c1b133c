// Command deps is a goimage example with third-party modules, on distroless.
package main

import (
	"fmt"
	"os"

	"github.com/google/uuid"
	"github.com/spf13/pflag"
)

var version = "dev"

func main() {
	name := pflag.String("name", "deps", "who is greeting")
	pflag.Parse()
	id := uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://example.com/"+*name))
	fmt.Printf("%s %s: uuid %s, uid %d\n", *name, version, id, os.Getuid())
}
