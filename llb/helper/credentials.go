package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"time"
)

// credentials writes a digest of the credentials a download step will use: the netrc file's
// bytes and the public keys the SSH agent offers. BuildKit keys a step on a secret's id,
// never its value, so the download step mounts this digest read-only, which BuildKit keys on
// its content: a build without the credentials, or with others, cannot get the layer that
// they fetched from the cache. The step that runs it is never cached.
//
// The digest may be exported with the cache, so the netrc's bytes go through PBKDF2 with
// many rounds: a short password in it is not found by trying candidates against a plain hash.
func credentials(args []string) error {
	fl := flag.NewFlagSet("credentials", flag.ContinueOnError)
	out := fl.String("o", "", "the file to write the digest to")
	netrc := fl.String("netrc", "", "a netrc file")
	ssh := fl.Bool("ssh", false, "include the public keys of the agent at $SSH_AUTH_SOCK")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *out == "" || fl.NArg() != 0 {
		return errors.New("usage: goimage-helper credentials -o FILE [-netrc FILE] [-ssh]")
	}
	h := sha256.New()
	if *netrc != "" {
		data, err := os.ReadFile(*netrc)
		if err != nil {
			return fmt.Errorf("read the netrc secret: %w", err)
		}
		fmt.Fprintf(h, "netrc %x\n", pbkdf2SHA256(data, []byte("goimage netrc v1"), pbkdf2Rounds))
	}
	if *ssh {
		keys, err := agentKeys(os.Getenv("SSH_AUTH_SOCK"))
		if err != nil {
			return fmt.Errorf("list the SSH agent's keys: %w", err)
		}
		for _, k := range keys {
			fmt.Fprintf(h, "ssh %x\n", sha256.Sum256(k))
		}
	}
	return writeAtomic(*out, func(w io.Writer) error { _, err := fmt.Fprintf(w, "%x\n", h.Sum(nil)); return err })
}

// pbkdf2Rounds makes one digest cost about a tenth of a second on a CI machine.
const pbkdf2Rounds = 200_000

// pbkdf2SHA256 is PBKDF2 (RFC 8018) with HMAC-SHA-256, one 32-byte block: the helper builds
// with toolchains older than the standard library's crypto/pbkdf2.
func pbkdf2SHA256(password, salt []byte, rounds int) []byte {
	prf := hmac.New(sha256.New, password)
	prf.Write(salt)
	prf.Write([]byte{0, 0, 0, 1})
	u := prf.Sum(nil)
	t := append([]byte(nil), u...)
	for i := 1; i < rounds; i++ {
		prf.Reset()
		prf.Write(u)
		u = prf.Sum(u[:0])
		for j := range t {
			t[j] ^= u[j]
		}
	}
	return t
}

// The SSH agent protocol (draft-miller-ssh-agent): a request for the identities and the
// answer listing each key blob with its comment.
const (
	agentRequestIdentities = 11
	agentIdentitiesAnswer  = 12
	maxAgentReply          = 1 << 20
)

// agentKeys returns the public key blobs the agent at sock offers, sorted.
func agentKeys(sock string) ([][]byte, error) {
	if sock == "" {
		return nil, errors.New("SSH_AUTH_SOCK is not set")
	}
	conn, err := net.DialTimeout("unix", sock, 10*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte{0, 0, 0, 1, agentRequestIdentities}); err != nil {
		return nil, err
	}
	var n uint32
	if err := binary.Read(conn, binary.BigEndian, &n); err != nil {
		return nil, err
	}
	if n == 0 || n > maxAgentReply {
		return nil, fmt.Errorf("an answer of %d bytes", n)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(conn, msg); err != nil {
		return nil, err
	}
	return parseIdentities(msg)
}

// parseIdentities reads SSH_AGENT_IDENTITIES_ANSWER: a count, then per key a blob and a
// comment, each a uint32 length and its bytes.
func parseIdentities(msg []byte) ([][]byte, error) {
	if len(msg) < 5 || msg[0] != agentIdentitiesAnswer {
		return nil, errors.New("the agent did not list its keys")
	}
	count := binary.BigEndian.Uint32(msg[1:5])
	rest := msg[5:]
	next := func() ([]byte, error) {
		if len(rest) < 4 || uint32(len(rest)-4) < binary.BigEndian.Uint32(rest) {
			return nil, errors.New("a truncated answer")
		}
		l := binary.BigEndian.Uint32(rest)
		field := rest[4 : 4+l]
		rest = rest[4+l:]
		return field, nil
	}
	var keys [][]byte
	for i := uint32(0); i < count; i++ {
		blob, err := next()
		if err != nil {
			return nil, err
		}
		if _, err := next(); err != nil { // the comment
			return nil, err
		}
		keys = append(keys, blob)
	}
	sort.Slice(keys, func(i, j int) bool { return string(keys[i]) < string(keys[j]) })
	return keys, nil
}
