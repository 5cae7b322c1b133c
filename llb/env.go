package llb

import (
	"strings"

	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// goEnv is the environment every go command of the user's build runs with: toolEnv, the
// spec's build environment and CGO_ENABLED.
func (c *converter) goEnv() []string {
	env := c.toolEnv()
	for _, k := range spec.SortedKeys(c.plan.Spec.Env) {
		env = setEnv(env, k, c.plan.Spec.Env[k])
	}
	cgo := "0"
	if c.plan.Spec.CGO {
		cgo = "1"
	}
	env = setEnv(env, "CGO_ENABLED", cgo)
	if flags := c.goFlags(); flags != "" {
		env = setEnv(env, "GOFLAGS", flags)
	}
	return env
}

// goFlags is GOFLAGS: the spec's, with -mod=vendor for a vendored module.
func (c *converter) goFlags() string {
	flags := strings.Fields(c.plan.Spec.GoFlags)
	if c.plan.Spec.Vendor {
		flags = append(flags, "-mod=vendor")
	}
	return strings.Join(flags, " ")
}

// flagsOf are the flags among go command arguments words: each name without its dashes and
// its value, after "=" else the next word.
func flagsOf(words []string) [][2]string {
	var out [][2]string
	for i, w := range words {
		if !strings.HasPrefix(w, "-") {
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
		if !hasValue && i+1 < len(words) {
			value = words[i+1]
		}
		out = append(out, [2]string{name, value})
	}
	return out
}

// downloadEnv is goEnv with the spec's module download settings.
func (c *converter) downloadEnv() []string {
	env := c.goEnv()
	for _, kv := range [][2]string{
		{"GOPROXY", c.plan.Spec.GoProxy}, {"GOPRIVATE", c.plan.Spec.GoPrivate},
		{"GONOSUMDB", c.plan.Spec.GoNoSumDB}, {"GOINSECURE", c.plan.Spec.GoInsecure},
	} {
		if kv[1] != "" {
			env = setEnv(env, kv[0], kv[1])
		}
	}
	return env
}

// offlineEnv is goEnv for the target platform with the module proxy off: modules come only
// from the download step.
func (c *converter) offlineEnv() []string {
	env := setEnv(c.goEnv(), "GOPROXY", "off")
	for _, kv := range targetEnv(c.target) {
		env = setEnv(env, kv[0], kv[1])
	}
	return env
}

// toolEnv is the builder's own environment with the explicit cache paths.
func (c *converter) toolEnv() []string {
	env := append([]string(nil), c.env...)
	if _, ok := lookupEnv(env, "PATH"); !ok {
		env = setEnv(env, "PATH", defaultPath)
	}
	env = setEnv(env, "GOPATH", goPath)
	env = setEnv(env, "GOMODCACHE", goModCache)
	env = setEnv(env, "GOCACHE", goCache)
	// A go.mod asking for a newer toolchain must fail clearly, not download one.
	return setEnv(env, "GOTOOLCHAIN", "local")
}

// targetEnv is GOOS, GOARCH and the architecture's level variable for a platform.
func targetEnv(p ocispecs.Platform) [][2]string {
	env := [][2]string{{"GOOS", p.OS}, {"GOARCH", p.Architecture}}
	switch p.Architecture {
	case "arm":
		if v := strings.TrimPrefix(p.Variant, "v"); v != "" {
			env = append(env, [2]string{"GOARM", v})
		}
	case "amd64":
		if p.Variant != "" && p.Variant != "v1" {
			env = append(env, [2]string{"GOAMD64", p.Variant})
		}
	}
	return env
}

func envOpts(env []string) []llb.RunOption {
	opts := make([]llb.RunOption, 0, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		opts = append(opts, llb.AddEnv(k, v))
	}
	return opts
}

func lookupEnv(env []string, key string) (string, bool) {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}

// setEnv sets key in a KEY=value list, in place of an earlier value.
func setEnv(env []string, key, value string) []string {
	for i, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			env[i] = key + "=" + value
			return env
		}
	}
	return append(env, key+"="+value)
}
