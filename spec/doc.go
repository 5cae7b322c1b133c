// Package spec defines the Goimagefile format: its types, strict YAML decoding that
// reports every problem at once with the field path and line:col, defaults and validation.
//
// A Goimagefile is YAML whose first line is `# syntax=goimage/frontend:1`:
//
//	# syntax=goimage/frontend:1
//	version: 1
//	main: ./cmd/app
//
// Parse returns a Spec with defaults applied, or an *Errors listing every problem found.
package spec
