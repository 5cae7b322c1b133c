package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dockerEngineVersion is the version the workbench's Docker Engine reports (hack/dev up docker).
const dockerEngineVersion = "v2.0.0-beta.24"

// dockerEngine returns the socket of the workbench's Docker Engine after checking it answers
// as that version with the classic image store, or skips the test when there is none (fails
// under CI=true).
func dockerEngine(t *testing.T) string {
	t.Helper()
	daemon(t) // the registry mirror and the frontend image come with the workbench
	host := os.Getenv("GOIMAGE_DOCKER_HOST")
	if host == "" {
		unavailable(t, "GOIMAGE_DOCKER_HOST is not set: run hack/dev up docker (hack/test does)")
	}
	out, err := docker(t, host, "version", "--format", "{{.Server.Version}}")
	if err != nil {
		unavailable(t, "no Docker Engine at "+host+": "+out)
	}
	if v := strings.TrimSpace(out); v != dockerEngineVersion {
		t.Fatalf("the Docker Engine at %s is %s, want %s", host, v, dockerEngineVersion)
	}
	return host
}

// dockerEnv is the environment of the docker CLI against the engine at host, as a user of it
// has it: no buildx builder and no BUILDKIT_HOST, so that docker build and docker buildx build
// use the engine's own BuildKit through the default docker driver.
func dockerEnv(host string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "BUILDX_BUILDER=") || strings.HasPrefix(kv, "BUILDKIT_HOST=") || strings.HasPrefix(kv, "DOCKER_HOST=")
	})
	return append(env, "DOCKER_HOST="+host)
}

// docker runs the docker CLI against the engine at host.
func docker(t *testing.T, host string, args ...string) (string, error) {
	t.Helper()
	return commandEnv(t, dockerEnv(host), "docker", args...)
}

// mustDocker is docker that fails the test when the command does.
func mustDocker(t *testing.T, host string, args ...string) string {
	t.Helper()
	return mustCommandEnv(t, dockerEnv(host), "docker", args...)
}

// dockerImageUser is the user an image of the engine runs as.
func dockerImageUser(t *testing.T, host, tag string) string {
	t.Helper()
	var cfg struct{ Config struct{ User string } }
	if err := json.Unmarshal([]byte(mustDocker(t, host, "image", "inspect", "--format", "{{json .}}", tag)), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Config.User
}

// TestDockerEngine builds the examples on Docker Engine's own BuildKit, through the default
// docker driver and the classic image store, as `docker build -f Goimagefile .` and `docker
// buildx build`, then runs them with `docker run`: distroless bases resolve through the
// engine's registry configuration, with no --build-context.
func TestDockerEngine(t *testing.T) {
	host := dockerEngine(t)
	for _, tc := range []struct {
		desc      string
		dir       string
		args      []string
		want      string
		wantBuild string // what the build prints
	}{
		{
			desc: "docker build of hello, on scratch",
			dir:  example(t, "hello"), args: []string{"build"},
			want: "hello from goimage: linux/amd64, uid 65532",
		},
		{
			desc: "docker build of deps, on distroless, with a build arg",
			dir:  example(t, "deps"), args: []string{"build", "--build-arg", "VERSION=1.2.3"},
			want: "deps 1.2.3: uuid 09554384-0143-56b0-af5c-55f865b81170, uid 65532",
		},
		{
			desc: "docker buildx build of deps, the docker driver",
			dir:  example(t, "deps"), args: []string{"buildx", "build", "--load", "--build-arg", "VERSION=2.0"},
			want: "deps 2.0: uuid 09554384-0143-56b0-af5c-55f865b81170, uid 65532",
		},
		{
			desc: "docker build of multi, two platforms in the file: the classic image store gets the build platform's",
			dir:  example(t, "multi"), args: []string{"build"},
			want:      "server linux/amd64",
			wantBuild: "classic image store holds one platform per image: building linux/amd64 of linux/amd64, linux/arm64",
		},
		{
			desc: "--target picks one binary of the service",
			dir:  project(t, "service"), args: []string{"build", "--target", "tool"},
			want: "tool built with the tool tag",
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			tag := strings.TrimPrefix(imageRef(t, "docker"), mirror+"/")
			args := append(slices.Clone(tc.args), "--progress=plain", "-f", filepath.Join(tc.dir, "Goimagefile"), "-t", tag, tc.dir)
			if out := mustDocker(t, host, args...); !strings.Contains(out, tc.wantBuild) {
				t.Errorf("the build printed\n%s\nwithout %q", out, tc.wantBuild)
			}
			if out := mustDocker(t, host, "run", "--rm", tag); !strings.Contains(out, tc.want) {
				t.Errorf("docker run printed %q, want %q", out, tc.want)
			}
			if u := dockerImageUser(t, host, tag); u != "65532:65532" {
				t.Errorf("user %q, want 65532:65532", u)
			}
		})
	}
}

// TestDockerEngineRequests checks --call targets and the location of a bad field through
// Docker Engine's BuildKit.
func TestDockerEngineRequests(t *testing.T) {
	host := dockerEngine(t)
	t.Run("--call targets", func(t *testing.T) {
		dir := project(t, "service")
		out := mustDocker(t, host, "buildx", "build", "--call", "targets", "-f", filepath.Join(dir, "Goimagefile"), dir)
		for _, want := range []string{"api (default)", "go build ./cmd/api", "tool", "go test ./..."} {
			if !strings.Contains(out, want) {
				t.Errorf("--call targets printed\n%s\nwithout %q", out, want)
			}
		}
	})
	t.Run("a misspelt field", func(t *testing.T) {
		dir := example(t, "hello")
		write(t, filepath.Join(dir, "Goimagefile"), "# syntax=goimage/frontend:1\nversion: 1\nbase: scratch\nmian: .\n")
		out, err := docker(t, host, "build", "--progress=plain", "-f", filepath.Join(dir, "Goimagefile"), dir)
		if err == nil {
			t.Fatalf("the build succeeded:\n%s", out)
		}
		for _, want := range []string{`mian: unknown field (did you mean "main"?)`, "Goimagefile:4", ">>> mian: ."} {
			if !strings.Contains(out, want) {
				t.Errorf("docker build printed\n%s\nwithout %q", out, want)
			}
		}
	})
}
