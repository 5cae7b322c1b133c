package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// download runs `go mod download` into $GOMODCACHE (the download step's layer) with the
// persistent directory -cache as the first module proxy, then keeps there every module file
// it lacked. On a warm builder a go.mod change thus fetches only the modules that changed,
// while the layer stays keyed on go.mod and go.sum alone and holds exactly what they name.
// Modules come from -cache through the go command's usual go.sum and checksum database
// checks, and private modules (GONOPROXY) still go direct.
//
// The layer then loses the modules' zip files: the go command builds, lists and verifies from
// the extracted trees and their .ziphash files, and the zips would be a quarter or more of
// every byte the layer commits, exports and a fresh builder imports. -cache keeps them.
func download(args []string) error {
	fl := flag.NewFlagSet("download", flag.ContinueOnError)
	cache := fl.String("cache", "", "a persistent directory of module files (a GOPROXY layout)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *cache == "" || fl.NArg() != 0 {
		return errors.New("usage: goimage-helper download -cache DIR")
	}
	cacheDir, err := filepath.Abs(*cache)
	if err != nil {
		return err
	}
	proxy, err := goEnv("GOPROXY")
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "mod", "download")
	cmd.Env = append(os.Environ(), "GOPROXY=file://"+filepath.ToSlash(cacheDir)+","+proxy)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go mod download: %w", err)
	}
	modCache, err := goEnv("GOMODCACHE")
	if err != nil {
		return err
	}
	return keepModuleFiles(filepath.Join(modCache, "cache", "download"), cacheDir)
}

// goEnv is the value the go command uses for a variable, its default included.
func goEnv(key string) (string, error) {
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", key, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// keepModuleFiles copies the module files under src that dst lacks, then removes the zips from
// src. Each lands through a rename, so a concurrent build reading dst as a proxy never sees
// half a file.
func keepModuleFiles(src, dst string) error {
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
		to := filepath.Join(dst, rel)
		if _, err := os.Stat(to); err != nil {
			if err := copyFile(p, to); err != nil {
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
