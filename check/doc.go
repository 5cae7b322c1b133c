// Package check lints a Goimagefile: rules that are not errors, since the build works, but
// that a reviewer would flag. The frontend answers `--call check` with them and the goimage
// CLI runs them offline (`goimage check`).
package check
