package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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

// layerTime is the time of every entry in a layer (-out): the go command reads an entry's
// time only to expire test results, which a layer never holds.
var layerTime = time.Unix(0, 0)

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// tieredCache is a build cache in layers. dir is the persistent cache mount that every build
// on the daemon shares: read and written. ro are layers of earlier steps, only read. out,
// when set, is a layer being made: it receives every entry this step computed, and then dir
// is written but never read, so that the layer holds only what this step computed. An entry
// of dir maps an action to an output on the word of whichever build wrote it; its output can
// be verified, that mapping cannot, and a layer goes to other builders. What the step took
// from ro stays there: a step reading out reads ro too.
type tieredCache struct {
	dir  diskCache
	ro   []diskCache
	out  *diskCache
	used bool // out also receives the entries served from ro

	// What the build got from where, reported when it closes the cache (-stats): the
	// steps' logs then say whether a step compiled what its layers should have held.
	stats                       io.Writer
	fromLayers, fromDir, missed int
}

func cacheprog(args []string, in io.Reader, w io.Writer) error {
	fl := flag.NewFlagSet("cacheprog", flag.ContinueOnError)
	dir := fl.String("dir", "", "the shared build cache to write, and to read unless -out is set (GOCACHE layout)")
	out := fl.String("out", "", "a directory that receives every entry computed; -dir is then not read")
	used := fl.Bool("used", false, "-out also receives every entry served from -ro, so that it alone holds what the build used")
	stats := fl.Bool("stats", false, "report on standard error, when the go command closes the cache, how many entries came from the -ro caches and from -dir, and how many it did not have")
	var ro multiFlag
	fl.Var(&ro, "ro", "a read-only build cache to read from (repeatable)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fl.NArg() != 0 {
		return errors.New("usage: goimage-helper cacheprog -dir DIR [-ro DIR]... [-out DIR] [-used] [-stats]")
	}
	c := &tieredCache{dir: diskCache(*dir), used: *used}
	if *stats {
		c.stats = os.Stderr
	}
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
			if c.stats != nil {
				fmt.Fprintf(c.stats, "goimage: build cache: %d entries from the dependency layers, %d from the cache mount, %d missed\n", c.fromLayers, c.fromDir, c.missed)
			}
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

// get serves the first tier holding the action, the layers before the shared directory: a
// layer's mapping from action to output was made by a step of this build's own graph, the
// directory's by whichever build wrote it. An output of the shared directory must hash to its
// output ID, since other builds write it: a corrupted one is a miss, so the go command
// recomputes it and its put repairs the file. A layer's outputs are checked by size, as the
// go command checks its own cache: a layer is an immutable snapshot that no build writes, its
// step hashed every output it put, and BuildKit checks a blob's digest when it imports one.
// Served from the directory first and hashed, the entries of a yq go build took 0.1 s of its
// 0.56 s.
func (c *tieredCache) get(action []byte, res *response) error {
	tiers := c.ro
	if c.out == nil {
		tiers = append(append([]diskCache(nil), c.ro...), c.dir)
	}
	for _, d := range tiers {
		e, ok := d.get(action)
		if !ok || (d == c.dir && !d.verified(e)) {
			continue
		}
		if d == c.dir {
			// Mark the entry used as the go command does, so that a plain go command's
			// trim of the same directory never deletes what this build was handed.
			d.touch(action, e)
			c.fromDir++
		} else {
			c.fromLayers++
		}
		res.OutputID, res.Size, res.Time, res.DiskPath = e.output, e.size, &e.time, d.dataPath(e.output)
		if c.out != nil && c.used {
			e.time = layerTime
			return c.out.copyEntry(d, action, e)
		}
		return nil
	}
	res.Miss = true
	c.missed++
	return nil
}

// put stores what the go command computed, after checking that the body is the output it
// names: the go command's output IDs are the SHA-256 of the bytes.
func (c *tieredCache) put(action, output, body []byte, res *response) error {
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], output) {
		return fmt.Errorf("put: body hashes to %x, not the output ID %x", sum, output)
	}
	e := entry{output: output, size: int64(len(body)), time: time.Now()}
	if err := c.dir.put(action, e, body); err != nil {
		return err
	}
	if c.out != nil {
		// A layer's bytes must not depend on when it was made: a step reading it is
		// keyed on its content, and builders sharing a registry cache share its blobs.
		e.time = layerTime
		if err := c.out.put(action, e, body); err != nil {
			return err
		}
	}
	res.DiskPath = c.dir.dataPath(output)
	return nil
}
