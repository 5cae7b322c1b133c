// Command hello is the smallest goimage example: the standard library only, on scratch.
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	fmt.Printf("hello from goimage: %s/%s, uid %d\n", runtime.GOOS, runtime.GOARCH, os.Getuid())
}
