package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The GOCACHEPROG protocol (cmd/go/internal/cacheprog): the go command sends one JSON
// request a line; a put with a body is followed by the body as a base64 JSON string.
type request struct {
	ID       int64
	Command  string
	ActionID []byte `json:",omitempty"`
	OutputID []byte `json:",omitempty"`
	BodySize int64  `json:",omitempty"`
}

type response struct {
	ID            int64
	Err           string     `json:",omitempty"`
	KnownCommands []string   `json:",omitempty"`
	Miss          bool       `json:",omitempty"`
	OutputID      []byte     `json:",omitempty"`
	Size          int64      `json:",omitempty"`
	Time          *time.Time `json:",omitempty"`
	DiskPath      string     `json:",omitempty"`
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// tieredCache is a build cache in layers: dir is read and written, ro are only read (layers
// of earlier steps), and out, when set, receives a copy of every entry served or stored.
type tieredCache struct {
	dir diskCache
	ro  []diskCache
	out *diskCache
}

func cacheprog(args []string, in io.Reader, w io.Writer) error {
	fl := flag.NewFlagSet("cacheprog", flag.ContinueOnError)
	dir := fl.String("dir", "", "the build cache to read and write (GOCACHE layout)")
	out := fl.String("out", "", "a directory that receives every entry used")
	var ro multiFlag
	fl.Var(&ro, "ro", "a read-only build cache to read from (repeatable)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fl.NArg() != 0 {
		return errors.New("usage: goimage-helper cacheprog -dir DIR [-ro DIR]... [-out DIR]")
	}
	c := &tieredCache{dir: diskCache(*dir)}
	for _, d := range ro {
		c.ro = append(c.ro, diskCache(d))
	}
	if *out != "" {
		o := diskCache(*out)
		c.out = &o
	}
	return c.serve(in, w)
}

// serve answers the go command's requests until it closes the connection.
func (c *tieredCache) serve(in io.Reader, w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	send := func(r *response) error {
		if err := enc.Encode(r); err != nil {
			return err
		}
		return bw.Flush()
	}
	if err := send(&response{KnownCommands: []string{"get", "put", "close"}}); err != nil {
		return err
	}
	dec := json.NewDecoder(bufio.NewReader(in))
	for {
		var req request
		if err := dec.Decode(&req); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("read request: %w", err)
		}
		var body []byte
		if req.Command == "put" && req.BodySize > 0 {
			if err := dec.Decode(&body); err != nil {
				return fmt.Errorf("read body of request %d: %w", req.ID, err)
			}
			if int64(len(body)) != req.BodySize {
				return fmt.Errorf("request %d: body of %d bytes, want %d", req.ID, len(body), req.BodySize)
			}
		}
		res := &response{ID: req.ID}
		var err error
		switch req.Command {
		case "get":
			err = c.get(req.ActionID, res)
		case "put":
			err = c.put(req.ActionID, req.OutputID, body, res)
		case "close":
			return send(res)
		default:
			err = fmt.Errorf("unknown command %q", req.Command)
		}
		if err != nil {
			res.Err = err.Error()
		}
		if err := send(res); err != nil {
			return err
		}
	}
}

func (c *tieredCache) get(action []byte, res *response) error {
	for _, d := range append([]diskCache{c.dir}, c.ro...) {
		e, ok := d.get(action)
		if !ok {
			continue
		}
		res.OutputID, res.Size, res.Time, res.DiskPath = e.output, e.size, &e.time, d.dataPath(e.output)
		if c.out != nil {
			return c.out.copyEntry(d, action, e)
		}
		return nil
	}
	res.Miss = true
	return nil
}

func (c *tieredCache) put(action, output, body []byte, res *response) error {
	e := entry{output: output, size: int64(len(body)), time: time.Now()}
	if err := c.dir.put(action, e, body); err != nil {
		return err
	}
	if c.out != nil {
		if err := c.out.put(action, e, body); err != nil {
			return err
		}
	}
	res.DiskPath = c.dir.dataPath(output)
	return nil
}

// diskCache is a directory in the go command's own GOCACHE layout (cmd/go/internal/cache):
// DIR/xx/<action>-a holds "v1 <action> <output> <size> <time>", DIR/xx/<output>-d the data.
// Sharing it lets a go command without GOCACHEPROG use the same cache.
type diskCache string

type entry struct {
	output []byte
	size   int64
	time   time.Time
}

func (d diskCache) path(id []byte, suffix string) string {
	h := hex.EncodeToString(id)
	if len(h) < 2 {
		h = "00" + h
	}
	return filepath.Join(string(d), h[:2], h+"-"+suffix)
}

func (d diskCache) dataPath(output []byte) string { return d.path(output, "d") }

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
	// An entry whose data is missing or truncated is a miss, as in the go command's cache.
	if fi, err := os.Stat(d.dataPath(output)); err != nil || fi.Size() != size {
		return entry{}, false
	}
	return entry{output: output, size: size, time: time.Unix(0, nsec)}, true
}

// put stores data before the entry that names it, each through a rename, so that a build
// sharing the directory never sees a half-written entry.
func (d diskCache) put(action []byte, e entry, body []byte) error {
	dp := d.dataPath(e.output)
	if fi, err := os.Stat(dp); err != nil || fi.Size() != e.size {
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

// copyEntry copies an entry of src into d, unless d has it already. The data goes file to
// file (copy_file_range where the kernel has it), never through memory.
func (d diskCache) copyEntry(src diskCache, action []byte, e entry) error {
	if _, ok := d.get(action); ok {
		return nil
	}
	in, err := os.Open(src.dataPath(e.output))
	if err != nil {
		return err
	}
	defer in.Close()
	if err := writeAtomic(d.dataPath(e.output), func(w io.Writer) error { _, err := io.Copy(w, in); return err }); err != nil {
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

// copyFile copies src to dst through a rename.
func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return writeAtomic(dst, func(w io.Writer) error { _, err := w.Write(data); return err })
}
