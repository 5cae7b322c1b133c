package main

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The persistent module-file cache is shared by every build on a daemon, so a build takes
// from it only the files that match its own go.sum: it copies them into a private proxy
// directory first, and the go command then reads that directory ahead of the network. A
// file that does not match is skipped, never an error: the network has the right one.

// goSums holds the h1 hashes a build's go.sum files give each module version: "path version"
// for the module's zip, "path version/go.mod" for its go.mod. A key may hold several hashes
// when the files of a workspace disagree; the go command settles that itself.
type goSums map[string][]string

// readGoSums reads every go.sum and go.work.sum under dir: the module files of the build.
func readGoSums(dir string) (goSums, error) {
	sums := goSums{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (d.Name() != "go.sum" && d.Name() != "go.work.sum") {
			return err
		}
		return sums.read(p)
	})
	return sums, err
}

func (s goSums) read(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// Lines the go command would reject are left for it to report.
		s.add(sc.Text())
	}
	return sc.Err()
}

// add records a go.sum line and returns the module version it names; ok is false, and
// nothing is recorded, for a line that is not "PATH VERSION[/go.mod] h1:HASH".
func (s goSums) add(line string) (mod, version string, ok bool) {
	f := strings.Fields(line)
	if len(f) != 3 || !strings.HasPrefix(f[2], "h1:") {
		return "", "", false
	}
	key := f[0] + " " + f[1]
	s[key] = append(s[key], f[2])
	return f[0], strings.TrimSuffix(f[1], "/go.mod"), true
}

// proxyPath is where a module proxy, and the module cache's download directory, keep a
// version's files, without their extension.
func proxyPath(mod, version string) string {
	return filepath.Join(escapePath(mod), "@v", escapePath(version))
}

func (s goSums) matches(key, hash string) bool {
	for _, h := range s[key] {
		if h == hash {
			return true
		}
	}
	return false
}

// hash1 is the go command's "h1:" hash of a file tree (golang.org/x/mod/sumdb/dirhash.Hash1):
// the SHA-256 of a summary listing each file's SHA-256 and name, sorted by name.
func hash1(names []string, open func(string) (io.ReadCloser, error)) (string, error) {
	names = append([]string(nil), names...)
	sort.Strings(names)
	summary := sha256.New()
	for _, name := range names {
		if strings.Contains(name, "\n") {
			return "", errors.New("a file name holds a newline")
		}
		r, err := open(name)
		if err != nil {
			return "", err
		}
		h := sha256.New()
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(summary, "%x  %s\n", h.Sum(nil), name)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(summary.Sum(nil)), nil
}

// hashZip is the h1 hash of a module zip, as go.sum's "path version h1:..." line gives it.
func hashZip(path string) (string, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return "", err
	}
	defer z.Close()
	files := map[string]*zip.File{}
	var names []string
	for _, f := range z.File {
		if _, dup := files[f.Name]; dup {
			return "", fmt.Errorf("%s: %s appears twice", path, f.Name)
		}
		files[f.Name] = f
		names = append(names, f.Name)
	}
	return hash1(names, func(name string) (io.ReadCloser, error) { return files[name].Open() })
}

// hashGoMod is the h1 hash of a go.mod file, as go.sum's "path version/go.mod h1:..." line
// gives it.
func hashGoMod(path string) (string, error) {
	return hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return os.Open(path) })
}

// escapePath is a module path or version as the module cache and proxies spell it on disk:
// each upper-case letter as '!' and its lower case (golang.org/x/mod/module.EscapePath).
func escapePath(s string) string {
	var b strings.Builder
	for _, r := range s {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// verifiedProxy fills dst, a module proxy directory, with the files of the caches that match
// sums: each zip and go.mod whose h1 hash go.sum lists, and the .info of a version it took a
// file of when the .info names that version. It returns the paths it took, relative to dst.
func verifiedProxy(sums goSums, caches []string, dst string) (map[string]bool, error) {
	took := map[string]bool{}
	for key := range sums {
		mod, version, _ := strings.Cut(key, " ")
		version, isMod := strings.CutSuffix(version, "/go.mod")
		base := proxyPath(mod, version)
		ext, hash := ".zip", hashZip
		if isMod {
			ext, hash = ".mod", hashGoMod
		}
		for _, cache := range caches {
			if took[base+ext] {
				break
			}
			// Hash the copy, not the cache: another build may write the cache meanwhile.
			to := filepath.Join(dst, base+ext)
			if err := copyFile(filepath.Join(cache, base+ext), to); err != nil {
				continue // missing or unreadable: the network has it
			}
			if h, err := hash(to); err != nil || !sums.matches(key, h) {
				if err := os.Remove(to); err != nil {
					return nil, err
				}
				continue // not this go.sum's: the network has the right one
			}
			took[base+ext] = true
			if info, ok := readInfo(filepath.Join(cache, base+".info"), version); ok && !took[base+".info"] {
				if err := writeAtomic(filepath.Join(dst, base+".info"), func(w io.Writer) error { _, err := w.Write(info); return err }); err != nil {
					return nil, fmt.Errorf("take %s: %w", base+".info", err)
				}
				took[base+".info"] = true
			}
		}
	}
	return took, nil
}

// readInfo reads a proxy's .info file if it is JSON naming version. go.sum has no hash of
// it; the go command reads only its version and time.
func readInfo(path, version string) ([]byte, bool) {
	data, err := os.ReadFile(path)
	if err != nil || len(data) > 64<<10 {
		return nil, false
	}
	var info struct{ Version string }
	return data, json.Unmarshal(data, &info) == nil && info.Version == version
}
