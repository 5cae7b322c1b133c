package llb

import (
	"path"
	"slices"

	"github.com/moby/buildkit/client/llb"
)

// mountedModules is a module cache assembled from download layers without merging them: a
// base layer with the directories the mounts need, and directories of download layers
// mounted onto it.
type mountedModules struct {
	base   llb.State
	mounts []moduleMount
	opts   []llb.MountOption // of every mount, with its selector
}

// moduleMount is a directory of a download layer, mounted in the module cache.
type moduleMount struct {
	dir   string // in the module cache and in the layer
	layer llb.State
}

// mount mounts the modules into the module cache of run.
func (m *mountedModules) mount(run llb.ExecState) {
	for _, mm := range m.mounts {
		run.AddMount(path.Join(goModCache, mm.dir), mm.layer, append(slices.Clone(m.opts), llb.SourcePath("/"+mm.dir))...)
	}
}

// mountedModuleCache is the module cache of the list steps, and of a go build that reads the
// whole module cache (binarySource), where the download steps made more than one layer:
// their download directories (cache/download: go.mod, .info and .ziphash files, a few small
// files per version) copied into one layer, and the tree of each version go.sum names by its
// zip mounted from its download layer. The layers' merge hard-linked every file of every
// tree, on the path of every go.mod change: 0.48 s of a mikefarah/yq build after a go get. A
// download directory holds every version of a module, which different layers may hold (a
// version the build compiles, another that the module graph reads the go.mod of), so those
// are copied rather than mounted.
//
// The mounts are keyed on the steps that made them, as the merge was (readOnlyKeyedOnStep).
func (c *converter) mountedModuleCache(layers []llb.State) *mountedModules {
	epoch := c.opt.epoch()
	at := llb.WithCreatedTime(epoch)
	info := &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true, CreatedTime: &epoch}
	fa := llb.Copy(layers[0], "/cache/download", "/cache/download", info)
	for _, l := range layers[1:] {
		fa = fa.Copy(l, "/cache/download", "/cache/download", info)
	}
	m := &mountedModules{opts: c.readOnlyKeyedOnStep()}
	var trees []string
	for v, l := range c.moduleLayerOf {
		if l.sum.zip {
			trees = append(trees, v)
		}
	}
	slices.Sort(trees)
	for _, v := range trees {
		l := c.moduleLayerOf[v]
		// Checked by parseGoSums: the escaped forms cannot fail.
		dir := graphModule{Path: l.sum.path, Version: l.sum.version}.cacheDir()
		fa = fa.Mkdir("/"+dir, 0o755, llb.WithParents(true), at)
		m.mounts = append(m.mounts, moduleMount{dir: dir, layer: l.st})
	}
	m.base = llb.Scratch().File(fa, llb.WithCustomName("[internal] the module cache's download directories"), c.location(modField(c.plan.Spec.Dir)))
	return m
}
