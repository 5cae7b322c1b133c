package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// download runs `go mod download` into $GOMODCACHE (the download step's layer) with a
// private proxy directory first in GOPROXY. That directory holds the files of the persistent
// module-file caches (-read, -cache) that match the build's go.sum files (under -sums), so
// on a warm builder a go.mod change fetches only the modules that changed, and a file another
// build wrote to a shared cache is used only when it is the one this build's go.sum names.
// The go command then checks every module against go.sum and the checksum database as usual,
// and private modules (GONOPROXY) still go direct.
//
// With -cache, the module files the build fetched from the network then go to that cache:
// the layer stays keyed on go.mod and go.sum alone and holds exactly what they name. The
// converter passes -cache only where the build's settings keep verification whole and no
// credentials fetched anything.
//
// The layer then loses the modules' zip files: the go command builds, lists and verifies from
// the extracted trees and their .ziphash files, and the zips would be a quarter or more of
// every byte the layer commits, exports and a fresh builder imports. The caches keep them.
func download(args []string) error {
	fl := flag.NewFlagSet("download", flag.ContinueOnError)
	var caches moduleCaches
	caches.register(fl)
	sumsDir := fl.String("sums", ".", "the directory holding the build's go.sum and go.work.sum files")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 0 {
		return errors.New("usage: goimage-helper download [-cache DIR] [-read DIR]... [-sums DIR]")
	}
	sums, err := readGoSums(*sumsDir)
	if err != nil {
		return fmt.Errorf("read go.sum: %w", err)
	}
	proxy, err := caches.proxy(sums)
	if err != nil {
		return err
	}
	defer proxy.close()
	if err := runGo(".", append(os.Environ(), "GOPROXY="+proxy.goproxy), []string{"mod", "download"}); err != nil {
		return err
	}
	modCache, err := goEnv("GOMODCACHE")
	if err != nil {
		return err
	}
	return keepModuleFiles(filepath.Join(modCache, "cache", "download"), caches.cache, proxy.took)
}

// moduleCaches are the persistent module-file caches of download and fetch, from their flags.
type moduleCaches struct {
	cache string    // read and filled
	read  multiFlag // only read
}

func (m *moduleCaches) register(fl *flag.FlagSet) {
	fl.StringVar(&m.cache, "cache", "", "a persistent directory of module files (a GOPROXY layout) to read and to fill")
	fl.Var(&m.read, "read", "a persistent directory of module files only to read (repeatable)")
}

// cacheProxy is a private module proxy directory of the cache files that match go.sum.
type cacheProxy struct {
	dir     string
	took    map[string]bool // the files it holds, relative to dir
	goproxy string          // GOPROXY with dir first
}

func (p *cacheProxy) close() { os.RemoveAll(p.dir) }

// proxy fills a private proxy directory from the caches (verifiedProxy) and puts it ahead of
// the go command's GOPROXY.
func (m *moduleCaches) proxy(sums goSums) (*cacheProxy, error) {
	caches := append([]string(nil), m.read...)
	if m.cache != "" {
		caches = append([]string{m.cache}, caches...)
	}
	dir, err := os.MkdirTemp("", "goimage-modules-")
	if err != nil {
		return nil, err
	}
	p := &cacheProxy{dir: dir}
	if p.took, err = verifiedProxy(sums, caches, dir); err != nil {
		p.close()
		return nil, err
	}
	goproxy, err := goEnv("GOPROXY")
	if err != nil {
		p.close()
		return nil, err
	}
	p.goproxy = "file://" + filepath.ToSlash(dir) + "," + goproxy
	return p, nil
}

// noGitHint says how to fix a download that needed git where there is none: on the
// toolchain layer (see the converter's downloadRoot), a module the proxy does not serve
// falls through to direct, which runs git.
func noGitHint(stderr []byte) string {
	if !bytes.Contains(stderr, []byte(`exec: "git": executable file not found`)) {
		return ""
	}
	return " (this step runs on the Go toolchain alone, which has no git: for modules fetched from their repositories, list them in goprivate: or set builder:, either of which runs it on the builder image)"
}

// goEnv is the value the go command uses for a variable, its default included.
func goEnv(key string) (string, error) {
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", key, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// keepModuleFiles copies to dst, unless dst is empty, the module files under src that the
// build fetched from the network rather than took from a cache: the go command checked each
// against go.sum or the checksum database. One replaces a file of dst that failed this
// build's check. Each lands through a rename, so a concurrent build never sees half a file.
// Then it removes the zips from src.
func keepModuleFiles(src, dst string, took map[string]bool) error {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil // a module without dependencies downloads nothing
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(p) {
		case ".info", ".mod", ".zip":
		default:
			return nil // locks, hashes and partial files are the module cache's own
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if dst != "" && !took[rel] {
			if err := copyFile(p, filepath.Join(dst, rel)); err != nil {
				return fmt.Errorf("keep %s: %w", rel, err)
			}
		}
		if filepath.Ext(p) == ".zip" {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("remove %s from the layer: %w", rel, err)
			}
		}
		return nil
	})
}
