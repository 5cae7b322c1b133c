// Command app uses a library that only the workspace provides.
package main

import (
	"fmt"

	"example.com/lib"
)

func main() { fmt.Println("workspace:", lib.Name()) }
