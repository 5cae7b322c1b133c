// Command a prints a greeting and the profile it was built with.
package main

import (
	"fmt"

	"example.com/lib"
)

func main() { fmt.Println(lib.Report("a")) }
