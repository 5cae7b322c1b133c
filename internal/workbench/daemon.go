package workbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/moby/buildkit/client"
)

// StateDir is the workbench's state directory, as hack/lib.sh sets it.
func StateDir() string {
	if d := os.Getenv("GOIMAGE_WORKBENCH"); d != "" {
		return d
	}
	return "/var/lib/goimage-workbench"
}

// Daemon is a buildkitd started by StartDaemon.
type Daemon struct {
	// Addr is the daemon's address, for BUILDKIT_HOST or buildctl --addr.
	Addr string
	dir  string
	cmd  *exec.Cmd
	done chan error
}

var (
	rootLine    = regexp.MustCompile(`(?m)^root = .*$`)
	addressLine = regexp.MustCompile(`(?m)^(\s*)address = .*$`)
)

// StartDaemon starts a buildkitd whose root, socket and log live in dir (created if missing),
// with the workbench daemon's configuration otherwise, and waits until it answers.
func StartDaemon(ctx context.Context, dir string) (*Daemon, error) {
	base, err := os.ReadFile(filepath.Join(StateDir(), "run", "buildkitd.toml"))
	if err != nil {
		return nil, fmt.Errorf("workbench daemon configuration (run hack/dev up): %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "buildkitd.sock")
	cfg := rootLine.ReplaceAll(base, []byte(fmt.Sprintf("root = %q", filepath.Join(dir, "root"))))
	cfg = addressLine.ReplaceAll(cfg, []byte(fmt.Sprintf("${1}address = [%q]", "unix://"+sock)))
	cfgPath := filepath.Join(dir, "buildkitd.toml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command("buildkitd", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start buildkitd: %w", err)
	}
	d := &Daemon{Addr: "unix://" + sock, dir: dir, cmd: cmd, done: make(chan error, 1)}
	go func() { d.done <- cmd.Wait() }()
	if err := d.wait(ctx, 60*time.Second); err != nil {
		d.Stop()
		return nil, err
	}
	return d, nil
}

// wait polls the daemon until it lists its workers.
func (d *Daemon) wait(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		c, err := client.New(ctx, d.Addr)
		if err == nil {
			_, err = c.ListWorkers(ctx)
			c.Close()
		}
		if err == nil {
			return nil
		}
		select {
		case exitErr := <-d.done:
			d.done <- exitErr
			return fmt.Errorf("buildkitd exited (%v); see %s", exitErr, filepath.Join(d.dir, "buildkitd.log"))
		case <-ctx.Done():
			return fmt.Errorf("buildkitd at %s did not answer in %s: %w", d.Addr, limit, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Kill kills the daemon at once (SIGKILL), as a crash would, and keeps its root: StartDaemon
// on the same directory restarts it on that state.
func (d *Daemon) Kill() error {
	_ = d.cmd.Process.Kill()
	<-d.done
	d.done <- errors.New("killed") // Stop, later, must not wait for a second exit
	// The mounts of its builds die with a crashed host's kernel, as they should here: a
	// restart on this root must meet the state a crash leaves on disk, not live mounts.
	return unmountUnder(d.dir)
}

// Stop stops the daemon (SIGTERM, then SIGKILL after 20 s) and removes its directory.
func (d *Daemon) Stop() error {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
	// A daemon that died mid-build leaves its mounts behind; removing them first keeps
	// RemoveAll out of a live overlay.
	if err := unmountUnder(d.dir); err != nil {
		return err
	}
	if err := os.RemoveAll(d.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", d.dir, err)
	}
	return nil
}
