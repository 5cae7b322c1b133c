package llb

import (
	"strings"

	"github.com/moby/buildkit/client/llb"
)

// The download step reads module files from persistent cache mounts, which every build on a
// daemon shares (any build can mount any id). goimage-helper download takes from them only
// the files that match the build's own go.sum, so what another build wrote can never poison
// this one; and a build writes there only what the go command verified with the checksum
// database in full, with no credentials: what a build fetched with narrowed verification goes
// to a cache of its own, and what credentials fetched stays in the build's own layer.
const (
	// sharedModCacheDir is where a build that does not write the shared cache reads it.
	sharedModCacheDir = "/goimage/modproxy-shared"
	credentialsDir    = "/goimage/credentials"
)

// verificationNarrowed reports whether a setting of the build lets the go command accept a
// module the checksum database did not vouch for: the spec's gonosumdb, goprivate (which
// implies GONOSUMDB), goinsecure or a GOFLAGS -insecure, or any of these variables in the
// spec's or the builder image's environment.
func (c *converter) verificationNarrowed() bool {
	s := c.plan.Spec
	if s.GoPrivate != "" || s.GoNoSumDB != "" || s.GoInsecure != "" || insecureFlag(s.GoFlags) {
		return true
	}
	lookup := func(k string) string {
		if v, ok := s.Env[k]; ok {
			return v
		}
		v, _ := lookupEnv(c.env, k)
		return v
	}
	for _, k := range []string{"GOPRIVATE", "GONOSUMDB", "GONOSUMCHECK", "GONOVERIFY", "GOINSECURE"} {
		if lookup(k) != "" {
			return true
		}
	}
	return lookup("GOSUMDB") == "off" || insecureFlag(lookup("GOFLAGS"))
}

// insecureFlag reports whether a GOFLAGS value holds -insecure.
func insecureFlag(goflags string) bool {
	for _, f := range strings.Fields(goflags) {
		if name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "="); name == "insecure" {
			return true
		}
	}
	return false
}

// hasCredentials reports whether the download step gets a netrc secret or an SSH agent.
func (c *converter) hasCredentials() bool {
	return c.plan.Spec.Private.Netrc != "" || c.plan.Spec.Private.SSH
}

// moduleCacheScope decides which persistent module caches the download uses: the id of the
// one it reads and writes (none for a build with credentials: what they fetched stays in its
// layer), and whether it also reads the shared one read-only (any build that does not write
// it: with credentials, or with narrowed verification, which gets a cache of its own).
func (c *converter) moduleCacheScope() (writeID string, readShared bool) {
	switch {
	case c.hasCredentials():
		return "", true
	case c.verificationNarrowed():
		return "modcache-unverified", true
	}
	return "modcache", false
}

// moduleCacheArgs are the cache flags of goimage-helper download; mountModuleCaches mounts
// what they name.
func (c *converter) moduleCacheArgs() []string {
	writeID, readShared := c.moduleCacheScope()
	var args []string
	if writeID != "" {
		args = append(args, "-cache", modProxyDir)
	}
	if readShared {
		args = append(args, "-read", sharedModCacheDir)
	}
	return args
}

func (c *converter) mountModuleCaches(run llb.ExecState) {
	writeID, readShared := c.moduleCacheScope()
	if readShared {
		run.AddMount(sharedModCacheDir, llb.Scratch(), llb.AsPersistentCacheDir(c.cacheID("modcache"), llb.CacheMountShared), llb.Readonly)
	}
	if writeID != "" {
		run.AddMount(modProxyDir, llb.Scratch(), llb.AsPersistentCacheDir(c.cacheID(writeID), llb.CacheMountShared))
	}
}

// credentialsDigest is a step, never cached, that digests the download's credentials
// (goimage-helper credentials). The download step mounts its result read-only, and BuildKit
// keys a read-only mount on its content: the download layer that credentials fetched is
// reused only by a build that has the same credentials.
func (c *converter) credentialsDigest() llb.State {
	args := []string{helperBin, "credentials", "-o", credentialsDir + "/digest"}
	if c.plan.Spec.Private.Netrc != "" {
		args = append(args, "-netrc", netrcPath)
	}
	if c.plan.Spec.Private.SSH {
		args = append(args, "-ssh")
	}
	run := c.goRunRoot().Run(append(c.privateOpts(),
		llb.Args(args),
		llb.Network(llb.NetModeNone),
		llb.IgnoreCache,
		llb.WithCustomName("[internal] digest the credentials of the module download"),
		c.location("private"),
	)...)
	c.mountHelper(run)
	return run.AddMount(credentialsDir, llb.Scratch())
}
