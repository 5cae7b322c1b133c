package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sshModule is fetched with git over SSH only: its path is GitHub's, as a company's private
// repositories' are, and the builder's git rewrites https://github.com/ to the test's sshd.
const sshModule = "github.com/goimage-e2e/private"

// gitOverSSH is an sshd on loopback serving a bare repository of sshModule at v1.0.0 to one
// key, which an ssh-agent holds.
type gitOverSSH struct {
	port       int
	repos      string // the directory the rewritten URLs point into
	hostKey    string // the public host key, for known_hosts
	privateKey []byte // the client key: the secret the agent holds
	agent      string // SSH_AUTH_SOCK
	goSum      string
}

func startGitOverSSH(t *testing.T) *gitOverSSH {
	t.Helper()
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/sshd"); statErr != nil {
			unavailable(t, "sshd (openssh-server, installed by hack/dev) is not on this machine")
		}
		sshd = "/usr/sbin/sshd"
	}
	dir := t.TempDir()
	keygen := func(name string) {
		mustCommand(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", filepath.Join(dir, name))
	}
	keygen("host_key")
	keygen("client_key")
	g := &gitOverSSH{repos: filepath.Join(dir, "git")}
	g.hostKey = strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "host_key.pub"))))
	g.privateKey = mustRead(t, filepath.Join(dir, "client_key"))
	write(t, filepath.Join(dir, "authorized_keys"), string(mustRead(t, filepath.Join(dir, "client_key.pub"))))

	// The repository: go.mod and one file at the tag v1.0.0, in a bare repository.
	work := filepath.Join(dir, "work")
	gomod := "module " + sshModule + "\n\ngo 1.22\n"
	src := "// Package private is reached over SSH only.\npackage private\n\n// Secret is what the module says.\nfunc Secret() string { return \"ssh module reached\" }\n"
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(work, "go.mod"), gomod)
	write(t, filepath.Join(work, "private.go"), src)
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.com",
			"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	bare := filepath.Join(g.repos, "goimage-e2e", "private.git")
	git(dir, "init", "-q", "--bare", bare)
	git(work, "init", "-q")
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "v1.0.0")
	git(work, "tag", "v1.0.0")
	git(work, "push", "-q", bare, "HEAD:refs/heads/main", "v1.0.0")
	prefix := sshModule + "@v1.0.0/"
	g.goSum = fmt.Sprintf("%s v1.0.0 %s\n%s v1.0.0/go.mod %s\n", sshModule,
		hash1(map[string][]byte{prefix + "go.mod": []byte(gomod), prefix + "private.go": []byte(src)}),
		sshModule, hash1(map[string][]byte{"go.mod": []byte(gomod)}))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	write(t, filepath.Join(dir, "sshd_config"), fmt.Sprintf(`ListenAddress 127.0.0.1:%d
HostKey %s
AuthorizedKeysFile %s
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile none
PermitRootLogin prohibit-password
`, g.port, filepath.Join(dir, "host_key"), filepath.Join(dir, "authorized_keys")))
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // sshd's privilege separation directory
		t.Fatal(err)
	}
	daemonProc(t, dir, "sshd", sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	waitDial(t, fmt.Sprintf("127.0.0.1:%d", g.port))

	g.agent = filepath.Join(dir, "agent.sock")
	daemonProc(t, dir, "ssh-agent", "ssh-agent", "-D", "-a", g.agent)
	waitDial(t, "unix:"+g.agent)
	cmd := exec.Command("ssh-add", filepath.Join(dir, "client_key"))
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+g.agent)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
	return g
}

// daemonProc starts a server process for the test and stops it at the end; its output goes
// to DIR/NAME.log, printed when the test fails.
func daemonProc(t *testing.T, dir, name, bin string, args ...string) {
	t.Helper()
	logFile := filepath.Join(dir, name+".log")
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		f.Close()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, mustRead(t, logFile))
		}
	})
}

// waitDial waits until addr ("host:port" or "unix:path") accepts a connection.
func waitDial(t *testing.T, addr string) {
	t.Helper()
	network := "tcp"
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, addr = "unix", p
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial(network, addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never accepted a connection: %v", addr, err)
		}
	}
}

// builder pushes the workbench's golang image set up as a company's builder is for private
// repositories over SSH: git rewrites https://github.com/ to the server, whose host key is
// known.
func (g *gitOverSSH) builder(t *testing.T) string {
	t.Helper()
	return companyBuilder(t, "ssh-builder", map[string]string{
		"gitconfig":   fmt.Sprintf("[url \"ssh://root@127.0.0.1:%d%s/\"]\n\tinsteadOf = https://github.com/\n", g.port, g.repos),
		"known_hosts": fmt.Sprintf("[127.0.0.1]:%d %s\n", g.port, g.hostKey),
	}, "COPY gitconfig /etc/gitconfig\nCOPY known_hosts /etc/ssh/ssh_known_hosts\n")
}

// TestPrivateModuleSSH builds, with `docker buildx build --ssh default`, a project needing a
// module that only git over SSH serves. Without --ssh the build stops at the download step;
// with it the image runs; the client key is in no layer, configuration or exported cache.
// The same build also takes a --secret, which the download step alone sees.
func TestPrivateModuleSSH(t *testing.T) {
	c := daemon(t)
	g := startGitOverSSH(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "Goimagefile")
	write(t, file, fmt.Sprintf(`# syntax=goimage/frontend:1
version: 1
builder: %s
main: .
goprivate: github.com/goimage-e2e
private:
  ssh: true
  netrc: netrc
base: scratch
`, g.builder(t)))
	write(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.26\n\nrequire "+sshModule+" v1.0.0\n")
	write(t, filepath.Join(dir, "go.sum"), g.goSum)
	write(t, filepath.Join(dir, "main.go"), "package main\n\nimport (\n\t\"fmt\"\n\n\t\""+sshModule+"\"\n)\n\nfunc main() { fmt.Println(private.Secret()) }\n")
	netrcToken := "goimage-e2e-netrc-" + strings.Repeat("7", 24)
	netrc := filepath.Join(t.TempDir(), "netrc")
	write(t, netrc, "machine unused.example.com login goimage password "+netrcToken+"\n")
	t.Setenv("SSH_AUTH_SOCK", g.agent)

	buildx := func(args ...string) (string, error) {
		args = append([]string{"buildx", "build", "--progress=plain", "--provenance=false", "-f", file,
			"--secret", "id=netrc,src=" + netrc}, args...)
		return command(t, "docker", append(args, dir)...)
	}
	if out, err := buildx("--output", "type=cacheonly"); err == nil {
		t.Fatalf("the build without --ssh succeeded:\n%s", out)
	} else if !strings.Contains(out, "ssh forward key default") {
		t.Errorf("the failure without --ssh does not say the SSH agent is missing:\n%s", out)
	}

	ref := imageRef(t, "private-ssh")
	cacheDir := t.TempDir()
	if out, err := buildx("--ssh", "default", "--cache-to", "type=local,mode=max,dest="+cacheDir, "-t", ref, "--push"); err != nil {
		t.Fatalf("the build with --ssh default: %v\n%s", err, out)
	}
	if out := runImage(t, c, ref); !strings.Contains(out, "ssh module reached") {
		t.Errorf("running the image printed %q", out)
	}
	// The key's base64 body after its first line, which every unencrypted ed25519 key
	// shares (the format's header), and the token.
	secrets := [][]byte{[]byte(netrcToken)}
	body := strings.Split(strings.TrimSpace(string(g.privateKey)), "\n")
	for _, line := range body[2 : len(body)-1] { // past the BEGIN line and the header line
		secrets = append(secrets, []byte(line))
	}
	assertNowhere(t, ref, cacheDir, secrets...)

	// What the agent fetched is the agent's: without it the builder's cache does not give it.
	if out, err := buildx("--output", "type=cacheonly"); err == nil {
		t.Errorf("after a build with --ssh, the build without it succeeded:\n%s", out)
	}
}
