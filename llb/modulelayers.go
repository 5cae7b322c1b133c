package llb

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/fnv"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"golang.org/x/mod/modfile"
)

// A module layer is part of the module cache, made by a step of its own (goimage-helper
// fetch) keyed on the go.sum lines of the module versions it holds: one version each for a
// project of up to moduleLayerGroups modules, else the modules whose paths hash alike. The
// list and go build mount the layers' trees (mountedModuleCache), the module compiles the
// trees they read, and the few steps that read the whole module cache their merge
// (llb.Merge). So a bump downloads the bumped module's layer and nothing else, on a warm
// builder and on a fresh one importing the cache alike, and projects that require the same
// versions share layers through one registry cache.
//
// Versions that go.sum names only by their go.mod (the module graph reads them, the build
// compiles none of their packages) are many and small: one step fetches them all. So do the
// go.mod files of versions that go.sum names by their zip but go.mod does not require
// (buildVersions): a version a bump left behind, or a test dependency of a dependency, whose
// zip no build of the module reads.

// moduleSum is what the build's go.sum files say of one module version.
type moduleSum struct {
	path, version string
	lines         []string // its go.sum lines, sorted
	zip           bool     // a line hashes its zip: the build may compile its packages
}

func (m moduleSum) String() string { return m.path + "@" + m.version }

// moduleLayer is the download layer that holds a module version, and the version's go.sum
// lines.
type moduleLayer struct {
	st  llb.State
	sum moduleSum
}

// ModuleFilesSource are the options of the build context's local source that holds the
// module files (go.mod, go.sum, go.work, go.work.sum) of a module rooted at dir. The download
// reads it, and a frontend that reads the module files ahead asks for the same source, so
// that the build transfers them once. Its own key: sharing the full context's would make the
// two transfers overwrite each other's copy on the daemon.
func ModuleFilesSource(dir string) []llb.LocalOption {
	include := make([]string, len(moduleFiles))
	for i, f := range moduleFiles {
		include[i] = path.Join(dir, f)
	}
	return []llb.LocalOption{
		llb.IncludePatterns(include),
		llb.SharedKeyHint("goimage-module-files"),
		llb.WithCustomName("[internal] load go.mod and go.sum"),
	}
}

// parseGoSums reads the lines of go.sum files (by name, for errors) into module versions,
// sorted. A module path or version the go command would not accept is an error: both
// become arguments of the steps that fetch them.
func parseGoSums(files map[string][]byte) ([]moduleSum, error) {
	byKey := map[string]*moduleSum{}
	var errs []string
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if base := path.Base(name); base != "go.sum" && base != "go.work.sum" {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(files[name]))
		for n := 1; sc.Scan(); n++ {
			f := strings.Fields(sc.Text())
			if len(f) == 0 {
				continue
			}
			if len(f) != 3 || !strings.HasPrefix(f[2], "h1:") {
				errs = append(errs, fmt.Sprintf("%s:%d: not a go.sum line: %q", name, n, sc.Text()))
				continue
			}
			version, isMod := strings.CutSuffix(f[1], "/go.mod")
			if !safeModulePath(f[0]) || !safeVersion(version) {
				errs = append(errs, fmt.Sprintf("%s:%d: not a module path and version: %q", name, n, f[0]+" "+f[1]))
				continue
			}
			key := f[0] + "@" + version
			m := byKey[key]
			if m == nil {
				m = &moduleSum{path: f[0], version: version}
				byKey[key] = m
			}
			if line := strings.Join(f, " "); !slices.Contains(m.lines, line) {
				m.lines = append(m.lines, line)
			}
			m.zip = m.zip || !isMod
		}
		if err := sc.Err(); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("go.sum: %s", strings.Join(errs, "; "))
	}
	sums := make([]moduleSum, 0, len(byKey))
	for _, key := range slices.Sorted(maps.Keys(byKey)) {
		m := *byKey[key]
		slices.Sort(m.lines)
		sums = append(sums, m)
	}
	return sums, nil
}

// safeModulePath accepts the characters of module paths (golang.org/x/mod/module.CheckPath
// is stricter) and refuses what could read as a flag.
func safeModulePath(p string) bool {
	return p != "" && p[0] != '-' && p[0] != '/' && !strings.Contains(p, "..") &&
		strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/+!") == ""
}

// safeVersion accepts the characters of semantic versions, which the go.sum lines use.
func safeVersion(v string) bool {
	return len(v) > 1 && v[0] == 'v' && !strings.Contains(v, "..") &&
		strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.+") == ""
}

// summed reports whether go.sum names every requirement of the module's go.mod: a go.sum
// that is missing or behind go.mod (a replace to another version among them) leaves the
// single download step's go mod download to fetch what go.mod asks for and to report what
// fails, naming the module and the proxy. So does a go.mod the go command cannot read.
func (c *converter) summed(sums []moduleSum) bool {
	name := path.Join(c.plan.Spec.Dir, "go.mod")
	data, ok := c.opt.ModuleFiles[name]
	if !ok {
		return true
	}
	f, err := modfile.ParseLax(name, data, nil)
	if err != nil {
		return false
	}
	named := map[string]bool{}
	for _, m := range sums {
		named[m.String()] = true
	}
	for _, r := range f.Require {
		if !named[r.Mod.Path+"@"+r.Mod.Version] {
			return false
		}
	}
	return true
}

// moduleLayerGroups bounds the module download steps. Every step is a container start on a
// cold build and a vertex the solver keys on every build, and the merge pulls each layer on a
// fresh builder: with a step per module, mikefarah/yq's 41 modules took its noop build from
// 0.27 s to 0.53 s and its cold build 5 s longer (hack/bench). Past the bound, modules share
// steps by a hash of their path, so a bump still runs only the step of the bumped module.
const moduleLayerGroups = 8

// moduleLayers is the module cache merged from the download steps of the versions go.sum
// names by their zip (one each, or moduleLayerGroups groups), and one for the versions it
// names only by their go.mod.
//
// ok is false, and one step downloads every module, where the module files are unknown, the
// daemon does not merge layers, credentials take part (the single step keys what they fetch
// on their digest), the module is a go.work workspace (whose go.work.sum need not be
// committed), or go.sum does not name every requirement of go.mod (summed).
func (c *converter) moduleLayers() (st llb.State, ok bool, err error) {
	if c.opt.ModuleFiles == nil || !c.opt.supports(pb.CapMergeOp) || c.hasCredentials() {
		return llb.State{}, false, nil
	}
	if _, workspace := c.opt.ModuleFiles[path.Join(c.plan.Spec.Dir, "go.work")]; workspace {
		return llb.State{}, false, nil
	}
	sums, err := parseGoSums(c.opt.ModuleFiles)
	if err != nil {
		return llb.State{}, false, c.errorf(modField(c.plan.Spec.Dir), "%w", err)
	}
	if !c.summed(sums) {
		return llb.State{}, false, nil
	}
	if versions, ok := c.buildVersions(); ok {
		sums = zipsOf(sums, versions)
	}
	var zips, modOnly []moduleSum
	for _, m := range sums {
		if m.zip {
			zips = append(zips, m)
		} else {
			modOnly = append(modOnly, m)
		}
	}
	groups := [][]moduleSum{}
	if len(zips) <= moduleLayerGroups {
		for _, m := range zips {
			groups = append(groups, []moduleSum{m})
		}
	} else {
		byHash := make([][]moduleSum, moduleLayerGroups)
		for _, m := range zips {
			h := fnv.New32a()
			h.Write([]byte(m.path))
			i := h.Sum32() % moduleLayerGroups
			byHash[i] = append(byHash[i], m)
		}
		for _, g := range byHash {
			if len(g) > 0 {
				groups = append(groups, g)
			}
		}
	}
	if len(modOnly) > 0 {
		groups = append(groups, modOnly)
	}
	env := c.downloadEnv()
	var layers []llb.State
	c.moduleLayerOf = map[string]moduleLayer{}
	for _, g := range groups {
		layer := c.fetch(env, g)
		layers = append(layers, layer)
		for _, m := range g {
			c.moduleLayerOf[m.String()] = moduleLayer{st: layer, sum: m}
		}
	}
	switch len(layers) {
	case 0:
		return llb.Scratch(), true, nil
	case 1:
		return layers[0], true, nil
	}
	c.mountedModCache = c.mountedModuleCache(layers)
	return llb.Merge(layers, llb.WithCustomName("[internal] the module cache"), c.location(modField(c.plan.Spec.Dir))), true, nil
}

// buildVersions are the module versions whose zips a build of the module may read: the
// requirements of its go.mod and the versions they are replaced by. ok is false where go.mod
// cannot tell: there is none, the go command cannot read it, its go line is before 1.17, and
// so it need not require every module that provides a package to the build (at 1.17 and
// later the go command refuses to build from a go.mod that does not), or the go commands
// may not read it as it is (goModAsIs).
func (c *converter) buildVersions() (map[string]bool, bool) {
	f, ok := c.goMod()
	if !ok || !lazyLoading(f) || !c.goModAsIs() {
		return nil, false
	}
	versions := map[string]bool{}
	for _, r := range f.Require {
		versions[r.Mod.String()] = true
	}
	for _, r := range f.Replace {
		if r.New.Version != "" { // else a directory, which nothing downloads
			versions[r.New.String()] = true
		}
	}
	return versions, true
}

// goModAsIs reports whether every go command of the build reads go.mod as it is: no flag
// (GOFLAGS, the builder's or the spec's, or a binary's flags) names another one (-modfile)
// or lets the go command add requirements to it (-mod=mod).
func (c *converter) goModAsIs() bool {
	words := c.goCommandFlags()
	for _, b := range c.plan.Binaries {
		words = append(words, b.Flags...)
	}
	for _, f := range flagsOf(words) {
		if f[0] == "modfile" || (f[0] == "mod" && f[1] == "mod") {
			return false
		}
	}
	return true
}

// zipsOf is sums with a zip only for the versions of versions: the others keep their go.mod
// lines, which the module graph may read, and a version left with no line is dropped.
func zipsOf(sums []moduleSum, versions map[string]bool) []moduleSum {
	out := make([]moduleSum, 0, len(sums))
	for _, m := range sums {
		if m.zip && !versions[m.String()] {
			m.zip = false
			m.lines = slices.DeleteFunc(slices.Clone(m.lines), func(line string) bool {
				return !strings.HasSuffix(strings.Fields(line)[1], "/go.mod")
			})
		}
		if len(m.lines) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// fetchName names the download step of mods.
func fetchName(mods []moduleSum) string {
	what := "download "
	if !mods[0].zip {
		what = "download the go.mod of "
	}
	if len(mods) == 1 {
		return what + mods[0].String()
	}
	return fmt.Sprintf("%s%s and %d more", what, mods[0], len(mods)-1)
}

// fetch is the step that fetches mods (goimage-helper fetch), keyed on their go.sum lines,
// which it takes as arguments, the download settings and the helper.
func (c *converter) fetch(env []string, mods []moduleSum) llb.State {
	args := []string{helperBin, "fetch"}
	args = append(args, c.moduleCacheArgs()...)
	args = append(args, "--")
	for _, m := range mods {
		args = append(args, m.lines...)
	}
	run := c.downloadRun(env, args, "/", fetchName(mods))
	return run.AddMount(goModCache, llb.Scratch())
}
