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

// foundState is the outcome of a lookup of an image published ahead: its state, if ok.
type foundState struct {
	st llb.State
	ok bool
}

// PublishedGoVersion is the Go version that names the images published ahead with the
// frontend for a builder of environment env (the standard library, the toolchain): its
// GOLANG_VERSION, where that is a version goVersionTag accepts. The converter and a frontend
// that looks ahead (frontend's prefetch) derive it alike, so that they ask for the same
// images.
func PublishedGoVersion(env []string) (string, bool) {
	version, _ := lookupEnv(env, "GOLANG_VERSION")
	return version, goVersionTag.MatchString(version)
}

// lookupStdlib starts looking for a standard library compiled ahead (Options.Stdlib) by the
// builder's Go version for the target: a registry round trip that runs while the converter
// loads the build's inputs. The standard library step waits for it (stdlib).
func (c *converter) lookupStdlib(ctx context.Context) {
	version, ok := PublishedGoVersion(c.env)
	if c.opt.Stdlib == nil || !ok {
		return
	}
	c.stdlibLookup = startPending(func() foundState {
		st, ok := c.opt.Stdlib.Stdlib(ctx, version, c.build, c.target)
		return foundState{st: st, ok: ok}
	})
}

// stdlib is the standard library cache lookupStdlib found, if any.
func (c *converter) stdlib() (llb.State, bool) {
	found := c.stdlibLookup.get()
	return found.st, found.ok
}
