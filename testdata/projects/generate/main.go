// Command generate prints names that only generated code knows.
package main

import (
	"fmt"

	"example.com/generate/color"
)

func main() { fmt.Println("generated:", color.Red, color.Green, color.Blue) }
