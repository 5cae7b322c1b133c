//go:build corpus

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goimage/goimage/internal/bench"
	"github.com/goimage/goimage/internal/imagerun"
)

// TestInitCorpus (go test -tags corpus ./e2e -run TestInitCorpus, with the repositories'
// git directories under GOIMAGE_BENCH_SOURCES, as hack/bench takes them) runs goimage init
// on every real project of hack/bench-projects at its pinned commit, checks init wrote what
// the project's Goimagefile.init records, builds that on the workbench with
// --build-arg VERSION=corpus and runs the image's entrypoint as the project's CHECK file says:
// its arguments on the first line, a text the output must hold on the second. Behind a build
// tag, not a skip: CI cannot reach the repositories.
func TestInitCorpus(t *testing.T) {
	c := daemon(t)
	sources := os.Getenv("GOIMAGE_BENCH_SOURCES")
	if sources == "" {
		t.Fatal("GOIMAGE_BENCH_SOURCES is not set: the git directories of the corpus's repositories")
	}
	projects, err := filepath.Glob(filepath.Join(repoRoot(t), "hack", "bench-projects", "*", "SOURCE"))
	if err != nil || len(projects) == 0 {
		t.Fatalf("no corpus projects: %v", err)
	}
	for _, source := range projects {
		dir := filepath.Dir(source)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			p, err := bench.LoadProject(dir, sources, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			cmd := exec.Command("go", "run", "./cmd/goimage", "init", "--print", p.Dir)
			cmd.Dir = repoRoot(t)
			got, err := cmd.Output()
			if err != nil {
				t.Fatalf("goimage init: %v", err)
			}
			t.Logf("init: %s", time.Since(start).Round(time.Millisecond))
			body, err := bench.RecordedInit(dir)
			if err != nil {
				t.Fatal(err)
			}
			if body != string(got) {
				t.Errorf("init now writes\n%s\nGoimagefile.init records\n%s", got, body)
			}
			write(t, filepath.Join(p.Dir, "Goimagefile"), string(got))
			check := strings.SplitN(strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "CHECK")))), "\n", 2)
			if len(check) != 2 {
				t.Fatalf("CHECK: want the arguments, then the text the output holds")
			}
			ref := imageRef(t, "corpus-"+filepath.Base(dir))
			start = time.Now()
			buildctlSyntax(t, p.Dir, ref, "--opt", "build-arg:VERSION=corpus")
			t.Logf("build: %s", time.Since(start).Round(time.Second))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			out, err := imagerun.Image(ctx, c, ref, strings.Fields(check[0]))
			if err != nil {
				t.Fatalf("run %s: %v", check[0], err)
			}
			if said := out.Stdout + out.Stderr; !strings.Contains(said, strings.TrimSpace(check[1])) {
				t.Errorf("the binary printed %q, want %q", said, check[1])
			} else {
				t.Logf("%s printed %q", check[0], strings.TrimSpace(said))
			}
		})
	}
}
