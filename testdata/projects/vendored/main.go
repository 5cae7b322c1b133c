// Command vendored prints a quote from a module that only its vendor directory holds.
package main

import (
	"fmt"

	"example.com/quote"
)

func main() { fmt.Println("vendored:", quote.Go()) }
