// Command server is one of two binaries in the multi example.
package main

import (
	"fmt"
	"runtime"
)

func main() { fmt.Printf("server %s/%s\n", runtime.GOOS, runtime.GOARCH) }
