package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// toolchain copies a GOROOT into -o at the same path, leaving out what -exclude matches, and
// adds -o/tmp; every file, link and directory it writes takes the time -epoch, so that the
// layer's bytes are the same on every builder.
//
// BuildKit's file op does the same copy, but keys it on a hash of every file it copies: on a
// cold builder that hash read all of GOROOT before the copy began (2.8 s of a 3.1 s step).
// An exec step is keyed on its inputs' keys, the builder image's digest among them.
func toolchain(args []string) error {
	fl := flag.NewFlagSet("toolchain", flag.ContinueOnError)
	out := fl.String("o", "", "the directory to copy GOROOT into, at GOROOT's own path")
	epochFlag := fl.String("epoch", "", "the time of every file, RFC 3339")
	var excludes multiFlag
	fl.Var(&excludes, "exclude", "a path relative to GOROOT to leave out, as a .dockerignore pattern of the forms P and **/P (repeatable)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *out == "" || fl.NArg() != 1 || !path.IsAbs(fl.Arg(0)) || path.Clean(fl.Arg(0)) != fl.Arg(0) || fl.Arg(0) == "/" {
		return errors.New("usage: goimage-helper toolchain -o DIR -epoch TIME [-exclude PATTERN]... GOROOT (an absolute, clean path)")
	}
	epoch, err := time.Parse(time.RFC3339Nano, *epochFlag)
	if err != nil {
		return fmt.Errorf("toolchain: -epoch: %w", err)
	}
	for _, p := range excludes {
		if _, err := path.Match(strings.TrimPrefix(p, "**/"), ""); err != nil || p == "" {
			return fmt.Errorf("toolchain: -exclude %q: not a pattern", p)
		}
	}
	src := fl.Arg(0)
	dst := filepath.Join(*out, src)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("toolchain: %w", err)
	}
	if err := copyGoRoot(src, dst, excludes, epoch); err != nil {
		return fmt.Errorf("toolchain: copy %s: %w", src, err)
	}
	tmp := filepath.Join(*out, "tmp")
	if err := os.MkdirAll(tmp, 0o777); err != nil {
		return fmt.Errorf("toolchain: %w", err)
	}
	if err := os.Chmod(tmp, 0o777); err != nil { // past the umask
		return fmt.Errorf("toolchain: %w", err)
	}
	if err := setTime(tmp, epoch); err != nil {
		return fmt.Errorf("toolchain: %w", err)
	}
	// The directories above GOROOT up to -o last (copyGoRoot set GOROOT's): writing into
	// them set their times.
	for d := filepath.Dir(dst); ; d = filepath.Dir(d) {
		if err := setTime(d, epoch); err != nil {
			return fmt.Errorf("toolchain: %w", err)
		}
		if d == filepath.Clean(*out) {
			return nil
		}
	}
}

// copyGoRoot copies src's files, symbolic links and directories into dst, with their
// permissions, all at epoch; a directory's time is set once everything in it is written.
func copyGoRoot(src, dst string, excludes []string, epoch time.Time) error {
	var dirs []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel != "." && excluded(filepath.ToSlash(rel), excludes) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch mode := info.Mode(); {
		case mode.IsDir():
			if rel != "." {
				if err := os.Mkdir(target, 0o700); err != nil {
					return err
				}
			}
			if err := os.Chmod(target, mode.Perm()); err != nil {
				return err
			}
			dirs = append(dirs, target)
			return nil
		case mode.IsRegular():
			if err := copyRegular(p, target, mode.Perm()); err != nil {
				return err
			}
		case mode&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: a %s, not a file, link or directory", p, mode.Type())
		}
		return setTime(target, epoch)
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- { // children before their parents
		if err := setTime(dirs[i], epoch); err != nil {
			return err
		}
	}
	return nil
}

func copyRegular(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Chmod(perm); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// excluded reports whether a slash-separated path relative to GOROOT matches a pattern: P
// matches the whole path, **/P any trailing part of it.
func excluded(rel string, patterns []string) bool {
	for _, p := range patterns {
		if rest, ok := strings.CutPrefix(p, "**/"); ok {
			parts := strings.Split(rel, "/")
			for i := range parts {
				if m, _ := path.Match(rest, strings.Join(parts[i:], "/")); m {
					return true
				}
			}
			continue
		}
		if m, _ := path.Match(p, rel); m {
			return true
		}
	}
	return false
}

// setTime sets a path's access and modification times without following a symbolic link,
// which os.Chtimes would (the standard library has no lutimes; goimage-helper uses no other).
func setTime(p string, t time.Time) error {
	name, err := syscall.BytePtrFromString(p)
	if err != nil {
		return err
	}
	ts := [2]syscall.Timespec{syscall.NsecToTimespec(t.UnixNano()), syscall.NsecToTimespec(t.UnixNano())}
	const atFDCWD, atSymlinkNoFollow = -100, 0x100
	fd := atFDCWD
	if _, _, errno := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(fd), uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(&ts[0])), atSymlinkNoFollow, 0, 0); errno != 0 {
		return &os.PathError{Op: "utimensat", Path: p, Err: errno}
	}
	return nil
}
