package llb

import (
	"context"
	"regexp"

	"github.com/moby/buildkit/client/llb"
)

// goVersionTag is what a builder's GOLANG_VERSION must look like to name a standard library
// cache (1.26.8, 1.27rc1): the builder image is the user's, and the value goes into a
// reference.
var goVersionTag = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?([a-z]+[0-9]+)?$`)

// stdlibResult is the outcome of the standard library cache lookup.
type stdlibResult struct {
	st llb.State
	ok bool
}

// StdlibGoVersion is the Go version that names a standard library compiled ahead for a
// builder of environment env: its GOLANG_VERSION, where that is a version goVersionTag
// accepts. The converter and a frontend that looks ahead (frontend's prefetch) derive it
// alike, so that they ask for the same image.
func StdlibGoVersion(env []string) (string, bool) {
	version, _ := lookupEnv(env, "GOLANG_VERSION")
	return version, goVersionTag.MatchString(version)
}

// lookupStdlib starts looking for a standard library compiled ahead (Options.Stdlib) by the
// builder's Go version for the target: a registry round trip that runs while the converter
// loads the build's inputs. The standard library step waits for it (stdlib).
func (c *converter) lookupStdlib(ctx context.Context) {
	version, ok := StdlibGoVersion(c.env)
	if c.opt.Stdlib == nil || !ok {
		return
	}
	ch := make(chan stdlibResult, 1)
	c.stdlibLookup = ch
	go func() {
		st, ok := c.opt.Stdlib.Stdlib(ctx, version, c.build, c.target)
		ch <- stdlibResult{st: st, ok: ok}
	}()
}

// stdlib is the standard library cache lookupStdlib found, if any.
func (c *converter) stdlib() (llb.State, bool) {
	if c.stdlibLookup != nil {
		c.stdlibFound = <-c.stdlibLookup
		c.stdlibLookup = nil
	}
	return c.stdlibFound.st, c.stdlibFound.ok
}
