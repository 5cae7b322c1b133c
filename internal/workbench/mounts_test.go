package workbench

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/goimage/goimage/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

// mountinfo is what a buildkitd rooted in /tmp/fd, killed in the middle of a module compile,
// left in /proc/self/mountinfo.
const mountinfo = `27 1 0:26 / / rw,relatime shared:1 - ext4 /dev/vda rw
48 27 0:40 / /tmp/fd/root/runc-overlayfs/cachemounts/buildkit3836830055 rw,relatime - overlay overlay rw,lowerdir=/tmp/fd/root/runc-overlayfs/snapshots/snapshots/14/fs,upperdir=/tmp/fd/root/runc-overlayfs/snapshots/snapshots/37/fs,workdir=/tmp/fd/root/runc-overlayfs/snapshots/snapshots/37/work,uuid=on
49 27 0:40 / /tmp/fd/root/runc-overlayfs/executor/w7vidgcn075xt4s8yaehsogl5/rootfs rw,relatime - overlay overlay rw,lowerdir=/tmp/fd/root/runc-overlayfs/snapshots/snapshots/14/fs,upperdir=/tmp/fd/root/runc-overlayfs/snapshots/snapshots/37/fs,workdir=/tmp/fd/root/runc-overlayfs/snapshots/snapshots/37/work,uuid=on
50 49 0:41 / /tmp/fd/root/runc-overlayfs/executor/w7vidgcn075xt4s8yaehsogl5/rootfs/proc rw - proc proc rw
52 27 0:50 / /tmp/buildkit-mount3142674624 rw,relatime - overlay overlay ro,lowerdir=/tmp/fd/root/runc-overlayfs/snapshots/snapshots/3/fs:/tmp/fd/root/runc-overlayfs/snapshots/snapshots/2/fs,redirect_dir=on
53 27 0:50 /goimage/helper /tmp/buildkit-mount3717195147 rw,relatime - overlay overlay ro,lowerdir=/tmp/other/3/fs,redirect_dir=on
54 27 0:51 / /tmp/fd2/root rw - tmpfs tmpfs rw
55 27 0:52 / /tmp/fd/with\040space rw - tmpfs tmpfs rw
`

func TestMountsOf(t *testing.T) {
	tests := []struct {
		desc string
		dir  string
		want []string
	}{{
		desc: "a killed daemon's root: its containers, cache mounts and snapshot reads, deepest first",
		dir:  "/tmp/fd",
		want: []string{
			"/tmp/fd/root/runc-overlayfs/executor/w7vidgcn075xt4s8yaehsogl5/rootfs/proc",
			"/tmp/fd/root/runc-overlayfs/executor/w7vidgcn075xt4s8yaehsogl5/rootfs",
			"/tmp/fd/root/runc-overlayfs/cachemounts/buildkit3836830055",
			"/tmp/fd/with space",
			"/tmp/buildkit-mount3142674624",
		},
	}, {
		desc: "a directory whose name extends another's is not under it",
		dir:  "/tmp/fd2",
		want: []string{"/tmp/fd2/root"},
	}, {
		desc: "nothing under the directory",
		dir:  "/var/lib/elsewhere",
	}}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := mountsOf(strings.NewReader(mountinfo), tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("mountsOf(%q) (-got +want):\n%s", tt.dir, diff)
			}
		})
	}
}

// TestUnmountUnder mounts what a killed daemon leaves (a mount in a mount under its
// directory, an overlay elsewhere that reads its files) and checks that the directory can
// then be removed.
func TestUnmountUnder(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "mounting needs root")
	}
	base := t.TempDir()
	dir := filepath.Join(base, "daemon")
	outer := filepath.Join(dir, "root", "executor", "x", "rootfs")
	inner := filepath.Join(outer, "proc")
	lower1 := filepath.Join(dir, "root", "snapshots", "1", "fs")
	lower2 := filepath.Join(dir, "root", "snapshots", "2", "fs")
	reader := filepath.Join(base, "buildkit-mount")
	for _, d := range []string{outer, lower1, lower2, reader} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mount := func(source, target, fstype, data string) {
		t.Helper()
		if err := syscall.Mount(source, target, fstype, 0, data); err != nil {
			testenv.Unavailable(t, "mount "+fstype+": "+err.Error())
		}
	}
	mount("tmpfs", outer, "tmpfs", "")
	if err := os.Mkdir(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	mount("tmpfs", inner, "tmpfs", "")
	mount("overlay", reader, "overlay", "lowerdir="+lower1+":"+lower2)
	mounted := func() []string {
		t.Helper()
		f, err := os.Open("/proc/self/mountinfo")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		points, err := mountsOf(f, dir)
		if err != nil {
			t.Fatal(err)
		}
		return points
	}
	if diff := cmp.Diff(mounted(), []string{inner, outer, reader}); diff != "" {
		t.Fatalf("mounts before unmountUnder (-got +want):\n%s", diff)
	}

	if err := unmountUnder(dir); err != nil {
		t.Fatal(err)
	}
	if left := mounted(); len(left) != 0 {
		t.Errorf("mounts left after unmountUnder: %q", left)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Errorf("remove after unmountUnder: %v", err)
	}
}
