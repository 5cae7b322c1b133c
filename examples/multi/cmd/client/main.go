// Command client is one of two binaries in the multi example.
package main

import (
	"fmt"
	"runtime"
)

func main() { fmt.Printf("client %s/%s\n", runtime.GOOS, runtime.GOARCH) }
