package llb

import (
	"fmt"
	"path"
	"strings"

	"github.com/moby/buildkit/client/llb"
)

const toolsDir = "/goimage/tools"

// generate runs the spec's generate steps and returns the build's source with what they
// wrote on top. Each step sees a copy of its inputs and the module files alone, so it is
// keyed on those, its command and its tools: an edit elsewhere never re-runs it. The files it
// adds or changes are taken with a diff against its inputs and merged over the source.
func (c *converter) generate(src, modCache llb.State) (llb.State, error) {
	if len(c.plan.Spec.Generate) == 0 {
		return src, nil
	}
	layers := []llb.State{src}
	for i, g := range c.plan.Spec.Generate {
		field := fmt.Sprintf("generate[%d]", i)
		include := []string{}
		for _, f := range rootModuleFiles {
			include = append(include, path.Join(c.plan.Spec.Dir, f))
		}
		for _, in := range g.Inputs {
			include = append(include, path.Join(c.plan.Spec.Dir, in))
		}
		inputs, err := c.opt.context(
			llb.IncludePatterns(include),
			llb.SharedKeyHint(fmt.Sprintf("goimage-generate-%d", i)),
			llb.WithCustomNamef("[internal] load the inputs of %s", field),
		)
		if err != nil {
			return llb.State{}, err
		}
		env := setEnv(c.goEnv(), "GOPROXY", "off")
		env = setEnv(env, "GOCACHEPROG", cacheProg())
		if len(g.Install) > 0 {
			p, _ := lookupEnv(env, "PATH")
			env = setEnv(env, "PATH", toolsDir+":"+p)
		}
		run := c.builder.Run(append(envOpts(env),
			llb.Args(g.Run), llb.Dir(c.moduleDir()), llb.Network(llb.NetModeNone),
			llb.WithCustomNamef("generate: %s", strings.Join(g.Run, " ")), c.location(field+".run"),
		)...)
		c.mountModuleCache(run, modCache)
		c.mountBuildCache(run)
		if len(g.Install) > 0 {
			run.AddMount(toolsDir, c.installTools(g.Install, field), llb.Readonly)
		}
		generated := run.AddMount(srcDir, inputs)
		layers = append(layers, llb.Diff(inputs, generated, llb.WithCustomNamef("the files %s wrote", field), c.location(field)))
	}
	return llb.Merge(layers, llb.WithCustomName("the source with the generated files"), c.location("generate")), nil
}

// installTools runs `go install PATH@VERSION` for a generate step's tools, on the build
// platform, one step per tool (go install takes one module version per command), each into a
// layer of its own keyed on its version alone; the layers are merged into one tools directory.
func (c *converter) installTools(pkgs []string, field string) llb.State {
	env := c.downloadEnv()
	env = setEnv(env, "GOFLAGS", "")
	env = setEnv(env, "GOBIN", toolsDir)
	env = setEnv(env, "GOCACHEPROG", cacheProg())
	var layers []llb.State
	for _, pkg := range pkgs {
		run := c.builder.Run(append(envOpts(env),
			llb.Args([]string{"go", "install", pkg}), llb.Dir("/"),
			llb.WithCustomNamef("go install %s", pkg), c.location(field+".install"),
		)...)
		// A module cache of its own: the go command trusts the extracted trees of a
		// GOMODCACHE without checking them again, so one shared with other builds could
		// hand it a tree another build planted. The tool's layer is cached by its version.
		run.AddMount(goModCache, llb.Scratch(), llb.ForceNoOutput)
		c.mountBuildCache(run)
		layers = append(layers, run.AddMount(toolsDir, llb.Scratch()))
	}
	if len(layers) == 1 {
		return layers[0]
	}
	return llb.Merge(layers, llb.WithCustomNamef("the tools of %s", field), c.location(field+".install"))
}
