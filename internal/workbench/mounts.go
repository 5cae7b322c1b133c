package workbench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// mountsOf returns the mount points in mountinfo (the format of /proc/self/mountinfo) that
// lie under dir or whose mount options name a path under it (an overlay on dir's snapshots
// mounted elsewhere, as buildkitd mounts its snapshots under /tmp to read them), deepest
// first, so that unmounting them in order never meets a mount point that holds another.
func mountsOf(mountinfo io.Reader, dir string) ([]string, error) {
	dir = filepath.Clean(dir)
	var points []string
	sc := bufio.NewScanner(mountinfo)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		// "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue":
		// the mount point is the fifth field; the super options follow " - ".
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			return nil, fmt.Errorf("mountinfo: short line %q", sc.Text())
		}
		point := unescapeMountinfo(fields[4])
		if under(point, dir) || namesPathUnder(fields[5:], dir) {
			points = append(points, point)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mountinfo: %w", err)
	}
	sort.SliceStable(points, func(i, j int) bool {
		return strings.Count(points[i], "/") > strings.Count(points[j], "/")
	})
	return points, nil
}

// namesPathUnder reports whether a mount's options (lowerdir=a:b,upperdir=c, ...) name a
// path under dir.
func namesPathUnder(fields []string, dir string) bool {
	for _, f := range fields {
		for _, opt := range strings.Split(unescapeMountinfo(f), ",") {
			_, value, ok := strings.Cut(opt, "=")
			if !ok {
				continue
			}
			for _, p := range strings.Split(value, ":") {
				if under(p, dir) {
					return true
				}
			}
		}
	}
	return false
}

func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// unescapeMountinfo undoes the kernel's octal escapes of space, tab, newline and backslash.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountUnder detaches every mount that a buildkitd rooted in dir left behind: a daemon
// killed mid-build leaves its containers' root filesystems, its cache mounts and its
// snapshot reads mounted, and removing the directory then fails on them. Detaching (lazy
// unmount) cannot fail on a mount still in use.
func unmountUnder(dir string) error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("unmount under %s: %w", dir, err)
	}
	defer f.Close()
	points, err := mountsOf(f, dir)
	if err != nil {
		return fmt.Errorf("unmount under %s: %w", dir, err)
	}
	var errs []error
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}
