//go:build tool

// Command tool exists only with the tool build tag.
package main

import "fmt"

func main() { fmt.Println("tool built with the tool tag") }
