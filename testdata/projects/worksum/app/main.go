// Command app uses a library of the workspace that requires a module of its own.
package main

import (
	"fmt"

	"example.com/lib"
)

func main() { fmt.Println("worksum:", lib.Name()) }
