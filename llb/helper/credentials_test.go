package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// TestPBKDF2 checks the helper's PBKDF2 against the standard library's (which the helper
// cannot use: it builds with older toolchains too).
func TestPBKDF2(t *testing.T) {
	for _, rounds := range []int{1, 2, 4096} {
		want, err := pbkdf2.Key(sha256.New, "machine example.com password x", []byte("salt"), rounds, 32)
		if err != nil {
			t.Fatal(err)
		}
		if got := pbkdf2SHA256([]byte("machine example.com password x"), []byte("salt"), rounds); !bytes.Equal(got, want) {
			t.Errorf("%d rounds: %x, want %x", rounds, got, want)
		}
	}
}

// serveAgent serves an SSH agent holding keys on a Unix socket and returns its path.
func serveAgent(t *testing.T, n int) (string, [][]byte) {
	t.Helper()
	keyring := agent.NewKeyring()
	var blobs [][]byte
	for i := 0; i < n; i++ {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		if err := keyring.Add(agent.AddedKey{PrivateKey: priv, Comment: "key"}); err != nil {
			t.Fatal(err)
		}
		sshPub, _ := ssh.NewPublicKey(pub)
		blobs = append(blobs, sshPub.Marshal())
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { agent.ServeAgent(keyring, c); c.Close() }()
		}
	}()
	return sock, blobs
}

func TestAgentKeys(t *testing.T) {
	sock, want := serveAgent(t, 3)
	got, err := agentKeys(sock)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(want, bytes.Compare)
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("keys (-got +want):\n%s", diff)
	}
	if _, err := agentKeys(""); err == nil {
		t.Error("no agent: no error")
	}
	if _, err := parseIdentities([]byte{agentIdentitiesAnswer, 0, 0, 0, 2, 0, 0, 0, 9, 1}); err == nil {
		t.Error("a truncated answer: no error")
	}
}

// TestCredentialsDigest checks what the download step is keyed on: the same credentials give
// the same digest, other or missing ones another or an error, and the netrc's bytes are not
// in the digest file.
func TestCredentialsDigest(t *testing.T) {
	dir := t.TempDir()
	netrc := filepath.Join(dir, "netrc")
	other := filepath.Join(dir, "other")
	os.WriteFile(netrc, []byte("machine proxy.example.com login ci password s3cret\n"), 0o400)
	os.WriteFile(other, []byte("machine proxy.example.com login ci password wrong\n"), 0o400)
	sock, _ := serveAgent(t, 1)
	sock2, _ := serveAgent(t, 1)

	digest := func(env string, args ...string) (string, error) {
		t.Setenv("SSH_AUTH_SOCK", env)
		out := filepath.Join(t.TempDir(), "digest")
		if err := credentials(append([]string{"-o", out}, args...)); err != nil {
			return "", err
		}
		data, err := os.ReadFile(out)
		return string(data), err
	}
	must := func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a := must(digest(sock, "-netrc", netrc, "-ssh"))
	if b := must(digest(sock, "-netrc", netrc, "-ssh")); a != b {
		t.Errorf("the same credentials give %q and %q", a, b)
	}
	for desc, d := range map[string]string{
		"another netrc":     must(digest(sock, "-netrc", other, "-ssh")),
		"another agent key": must(digest(sock2, "-netrc", netrc, "-ssh")),
		"no agent keys":     must(digest(sock, "-netrc", netrc)),
	} {
		if d == a {
			t.Errorf("%s gives the same digest", desc)
		}
	}
	if _, err := digest(sock, "-netrc", filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing netrc secret gives a digest")
	}
	if bytes.Contains([]byte(a), []byte("s3cret")) {
		t.Error("the digest holds the password")
	}
}
