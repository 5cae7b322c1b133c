package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// diskCache is a directory in the go command's own GOCACHE layout (cmd/go/internal/cache):
// DIR/xx/<action>-a holds "v1 <action> <output> <size> <time>", DIR/xx/<output>-d the data.
// Sharing it lets a go command without GOCACHEPROG use the same cache.
type diskCache string

type entry struct {
	output []byte
	size   int64
	time   time.Time
}

// usedInterval is how stale a used file's mtime may be before it is touched again: the go
// command's mtimeInterval (cmd/go/internal/cache), far inside the 5 days after which its trim
// deletes an unused file.
const usedInterval = 1 * time.Hour

func (d diskCache) path(id []byte, suffix string) string {
	h := hex.EncodeToString(id)
	if len(h) < 2 {
		h = "00" + h
	}
	return filepath.Join(string(d), h[:2], h+"-"+suffix)
}

func (d diskCache) dataPath(output []byte) string { return d.path(output, "d") }

// get reads the entry of an action. An entry whose data is missing or of another size is a
// miss, as in the go command's cache; verified checks the bytes.
func (d diskCache) get(action []byte) (entry, bool) {
	data, err := os.ReadFile(d.path(action, "a"))
	if err != nil {
		return entry{}, false
	}
	f := strings.Fields(string(data))
	if len(f) != 5 || f[0] != "v1" || f[1] != hex.EncodeToString(action) {
		return entry{}, false
	}
	output, err1 := hex.DecodeString(f[2])
	size, err2 := strconv.ParseInt(f[3], 10, 64)
	nsec, err3 := strconv.ParseInt(f[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return entry{}, false
	}
	if fi, err := os.Stat(d.dataPath(output)); err != nil || fi.Size() != size {
		return entry{}, false
	}
	return entry{output: output, size: size, time: time.Unix(0, nsec)}, true
}

// verified reports whether the data of e hashes to its output ID. The go command's own cache
// checks only the size when it reads; a cache that other builds write is checked in full.
func (d diskCache) verified(e entry) bool {
	sum, err := fileHash(d.dataPath(e.output))
	return err == nil && bytes.Equal(sum, e.output)
}

func fileHash(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// touch sets the mtime of an entry's files to now when it is older than usedInterval, as the
// go command's cache does for every entry it uses; trim deletes by mtime. A read-only or
// vanished file is left alone: touching is upkeep, not part of the answer.
func (d diskCache) touch(action []byte, e entry) {
	now := time.Now()
	for _, p := range []string{d.path(action, "a"), d.dataPath(e.output)} {
		if fi, err := os.Stat(p); err == nil && now.Sub(fi.ModTime()) > usedInterval {
			os.Chtimes(p, now, now)
		}
	}
}

// put stores data before the entry that names it, each through a rename, so that a build
// sharing the directory never sees a half-written entry. Data already there is kept only if
// its bytes hash to the output ID, so a put repairs a corrupted file, as the go command's does.
func (d diskCache) put(action []byte, e entry, body []byte) error {
	dp := d.dataPath(e.output)
	if fi, err := os.Stat(dp); err != nil || fi.Size() != e.size || !d.verified(e) {
		if err := writeAtomic(dp, func(w io.Writer) error { _, err := w.Write(body); return err }); err != nil {
			return err
		}
	}
	return d.putEntry(action, e)
}

// putEntry writes the action entry that names data already stored.
func (d diskCache) putEntry(action []byte, e entry) error {
	line := fmt.Sprintf("v1 %x %x %20d %20d\n", action, e.output, e.size, e.time.UnixNano())
	return writeAtomic(d.path(action, "a"), func(w io.Writer) error { _, err := io.WriteString(w, line); return err })
}

// copyEntry copies a verified entry of src into d, unless d has it already. The data goes
// file to file (copy_file_range where the kernel has it), never through memory, and is hashed
// again on the way: src may change under the copy.
func (d diskCache) copyEntry(src diskCache, action []byte, e entry) error {
	if got, ok := d.get(action); ok && bytes.Equal(got.output, e.output) {
		return nil
	}
	in, err := os.Open(src.dataPath(e.output))
	if err != nil {
		return err
	}
	defer in.Close()
	err = writeAtomic(d.dataPath(e.output), func(w io.Writer) error {
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, h), in); err != nil {
			return err
		}
		if sum := h.Sum(nil); !bytes.Equal(sum, e.output) {
			return fmt.Errorf("copy %x: data changed while copied (hashes to %x)", e.output, sum)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return d.putEntry(action, e)
}

func writeAtomic(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// copyFile copies src to dst through a rename, file to file.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeAtomic(dst, func(w io.Writer) error { _, err := io.Copy(w, in); return err })
}
