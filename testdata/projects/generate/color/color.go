// Package color has a type whose String method stringer generates in the build.
package color

//go:generate go tool stringer -type=Color

// Color is a color.
type Color int

// The colors.
const (
	Red Color = iota
	Green
	Blue
)
