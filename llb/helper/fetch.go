package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// fetch downloads the module versions of go.sum lines (its arguments) into $GOMODCACHE, each
// checked against those lines whatever GOSUMDB says: the step that runs it is keyed on them,
// so its layer holds exactly what they name wherever the bytes came from. A version with a
// zip line gets its tree, go.mod, .info and .ziphash; one with only a go.mod line gets its
// go.mod and .info. Files of the persistent caches (-cache, -read) that match go.sum come
// first, as in download, and -cache keeps what came from the network.
//
// The layer then loses what the module cache keeps for itself (zips, locks, version lists,
// VCS checkouts), so that layers of different modules never hold the same file and merge in
// any order to the same tree.
func fetch(args []string) error {
	fl := flag.NewFlagSet("fetch", flag.ContinueOnError)
	var caches moduleCaches
	caches.register(fl)
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return errors.New("usage: goimage-helper fetch [-cache DIR] [-read DIR]... [--] GOSUMLINE...")
	}
	sums := goSums{}
	var versions []string // PATH@VERSION, in the order of the lines
	for _, line := range fl.Args() {
		// A path that reads as a flag would reach the go command's arguments.
		if strings.HasPrefix(strings.TrimSpace(line), "-") {
			return fmt.Errorf("%q is not a go.sum line", line)
		}
		mod, version, ok := sums.add(line)
		if !ok {
			return fmt.Errorf("%q is not a go.sum line", line)
		}
		if v := mod + "@" + version; !slices.Contains(versions, v) {
			versions = append(versions, v)
		}
	}
	var zips, mods []string
	for _, v := range versions {
		mod, version, _ := strings.Cut(v, "@")
		if len(sums[mod+" "+version]) > 0 {
			zips = append(zips, v)
		} else {
			mods = append(mods, v)
		}
	}
	proxy, err := caches.proxy(sums)
	if err != nil {
		return err
	}
	defer proxy.close()
	// Outside any module, so that the go command reads no go.mod of the build and fetches
	// only what it is told; go.sum is checked below instead of by the checksum database.
	env := append(os.Environ(), "GOPROXY="+proxy.goproxy, "GOSUMDB=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	if len(zips) > 0 {
		if err := runGo(proxy.dir, env, append([]string{"mod", "download"}, zips...)); err != nil {
			return err
		}
	}
	if len(mods) > 0 {
		// go list -m fetches a version's .info and go.mod, not its zip.
		if err := runGo(proxy.dir, env, append([]string{"list", "-m"}, mods...)); err != nil {
			return err
		}
	}
	modCache, err := goEnv("GOMODCACHE")
	if err != nil {
		return err
	}
	if err := verifyFetched(modCache, sums, zips, mods); err != nil {
		return err
	}
	downloads := filepath.Join(modCache, "cache", "download")
	if err := keepModuleFiles(downloads, caches.cache, proxy.took); err != nil {
		return err
	}
	if err := pruneModuleCache(modCache); err != nil {
		return err
	}
	fmt.Print(fetchSummary(zips, mods, proxy.took))
	return nil
}

// fetchSummary is the step's log: where each version came from, checked against go.sum.
func fetchSummary(zips, mods []string, took map[string]bool) string {
	var b strings.Builder
	from := func(arg, ext string) string {
		mod, version, _ := strings.Cut(arg, "@")
		if took[proxyPath(mod, version)+ext] {
			return "the module cache"
		}
		return "the network"
	}
	for _, arg := range zips {
		fmt.Fprintf(&b, "%s: from %s, matches go.sum\n", arg, from(arg, ".zip"))
	}
	cached := 0
	for _, arg := range mods {
		if from(arg, ".mod") == "the module cache" {
			cached++
		}
	}
	if len(mods) > 0 {
		fmt.Fprintf(&b, "go.mod of %d module versions: %d from the module cache, %d from the network, all match go.sum\n", len(mods), cached, len(mods)-cached)
	}
	return b.String()
}

// runGo runs the go command in dir, its output on stderr (stdout is the step's log too).
func runGo(dir string, env, args []string) error {
	var stderr bytes.Buffer
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = os.Stderr, io.MultiWriter(os.Stderr, &stderr)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w%s", args[0]+" "+args[1], err, noGitHint(stderr.Bytes()))
	}
	return nil
}

// verifyFetched checks what the go command left in the module cache against go.sum: the
// extracted tree, the .ziphash (the go command trusts it from then on) and the zip (the
// persistent cache keeps it) of each of zips, and the go.mod of each version.
func verifyFetched(modCache string, sums goSums, zips, mods []string) error {
	var errs []error
	downloads := filepath.Join(modCache, "cache", "download")
	for _, arg := range append(append([]string(nil), zips...), mods...) {
		mod, version, _ := strings.Cut(arg, "@")
		base := filepath.Join(downloads, proxyPath(mod, version))
		if h, err := hashGoMod(base + ".mod"); err != nil {
			errs = append(errs, fmt.Errorf("%s: go.mod: %w", arg, err))
		} else if key := mod + " " + version + "/go.mod"; len(sums[key]) > 0 && !sums.matches(key, h) {
			errs = append(errs, fmt.Errorf("%s: go.mod has %s, go.sum says %s", arg, h, strings.Join(sums[key], " or ")))
		}
	}
	for _, arg := range zips {
		mod, version, _ := strings.Cut(arg, "@")
		key := mod + " " + version
		dir := filepath.Join(modCache, escapePath(mod)+"@"+escapePath(version))
		h, err := hashTree(dir, mod+"@"+version)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", arg, err))
			continue
		}
		if !sums.matches(key, h) {
			errs = append(errs, fmt.Errorf("%s: the extracted module has %s, go.sum says %s", arg, h, strings.Join(sums[key], " or ")))
			continue
		}
		base := filepath.Join(downloads, proxyPath(mod, version))
		if data, err := os.ReadFile(base + ".ziphash"); err != nil || strings.TrimSpace(string(data)) != h {
			errs = append(errs, fmt.Errorf("%s: .ziphash does not hold %s", arg, h))
		}
		// The zip goes to the persistent cache (keepModuleFiles): hash it too.
		if zh, err := hashZip(base + ".zip"); err != nil || zh != h {
			errs = append(errs, fmt.Errorf("%s: the zip does not hash to %s", arg, h))
		}
	}
	return errors.Join(errs...)
}

// hashTree is the h1 hash of an extracted module, its files named PREFIX/REL as in the
// module's zip (golang.org/x/mod/sumdb/dirhash.HashDir).
func hashTree(dir, prefix string) (string, error) {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		names = append(names, prefix+"/"+filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	return hash1(names, func(name string) (io.ReadCloser, error) {
		return os.Open(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(name, prefix+"/"))))
	})
}

// pruneModuleCache removes the module cache's own bookkeeping from the layer: lock files,
// version lists, the checksum database's tiles and VCS checkouts.
func pruneModuleCache(modCache string) error {
	downloads := filepath.Join(modCache, "cache", "download")
	for _, dir := range []string{filepath.Join(modCache, "cache", "vcs"), filepath.Join(downloads, "sumdb")} {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if _, err := os.Stat(downloads); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(downloads, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if name := d.Name(); name == "list" || strings.HasSuffix(name, ".lock") || strings.HasSuffix(name, ".partial") {
			return os.Remove(p)
		}
		return nil
	})
}
