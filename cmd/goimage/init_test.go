package main

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goimage/goimage/internal/bench"
	"github.com/goimage/goimage/internal/testenv"
	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

const (
	mainGo = "package main\n\nfunc main() {}\n"
	header = "# syntax=goimage/frontend:1\n# Written by goimage init; see the README for every field.\nversion: 1\n"
	ranked = "# The one named after its module or the repository comes first (the entrypoint), then cmd/*.\n"
)

// TestInitGoimagefile runs init on small trees in the shapes of real repositories and
// compares what it writes with the Goimagefile their maintainers would.
func TestInitGoimagefile(t *testing.T) {
	testenv.SkipIfShort(t, "runs go list")
	tests := []struct {
		desc  string
		repo  string // the directory's name, as a repository's checkout is named
		files map[string]string
		want  string
	}{
		{
			desc: "the module root and commands; tooling, test helpers and examples left out",
			repo: "tool",
			files: map[string]string{
				"go.mod":                       "module example.com/tool/v2\n\ngo 1.22\n",
				"main.go":                      mainGo,
				"cmd/server/main.go":           mainGo,
				"lib/lib.go":                   "package lib\n",
				"examples/demo/main.go":        mainGo,
				"internal/testutils/x/main.go": mainGo,
				"cmd/server-test/main.go":      mainGo,
				"gen/windows/main.go":          "//go:build windows\n\npackage main\n\nfunc main() {}\n",
				"hack/gen/main.go":             mainGo,
				"cmd/other/server/main.go":     mainGo,
				"testdata/fixture/main.go":     mainGo,
				".github/scripts/tool/main.go": mainGo,
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the module example.com/tool/v2.\n" + ranked + "binaries:\n" +
				"  - name: tool\n    main: .\n  - name: server\n    main: ./cmd/server\n  - name: server-2\n    main: ./cmd/other/server\n" +
				"# Left out as not what the image ships; add any back under binaries:\n" +
				"#   ./cmd/server-test: a test helper\n#   ./examples/demo: under examples/\n#   ./hack/gen: under hack/\n#   ./internal/testutils/x: under internal/\n" +
				"base: distroless\n",
		},
		{
			desc: "a vendored module",
			repo: "v",
			files: map[string]string{
				"go.mod":             "module example.com/v\n\ngo 1.26\n",
				"cmd/v/main.go":      mainGo,
				"vendor/modules.txt": "",
			},
			want: header + "go: \"1.26\"\nvendor: true\n# Binaries: the main packages of the module example.com/v.\n" + ranked + "binaries:\n" +
				"  - name: v\n    main: ./cmd/v\nbase: distroless\n",
		},
		{
			desc: "a directory of package main _test.go files only, an end-to-end harness, is no binary",
			repo: "svc",
			files: map[string]string{
				"go.mod":                  "module github.com/acme/svc\n\ngo 1.24\n",
				"cmd/svc/main.go":         mainGo,
				"harness/harness_test.go": "package main\n\nimport \"testing\"\n\nfunc TestRun(t *testing.T) {}\n",
				"acceptance/main.go":      "//go:build acceptance\n\npackage main\n\nfunc main() {}\n",
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the module github.com/acme/svc.\n" + ranked + "binaries:\n" +
				"  - name: svc\n    main: ./cmd/svc\n" +
				"# Left out as not what the image ships; add any back under binaries:\n#   ./harness: only _test.go files\n" +
				"base: distroless\n",
		},
		{
			desc: "the product before release tooling and a test setup program beside it in cmd/",
			repo: "widget",
			files: map[string]string{
				"go.mod":                      "module github.com/acme/widget-go\n\ngo 1.25\n",
				"cmd/aaa-release/main.go":     mainGo,
				"cmd/widget/main.go":          mainGo,
				"cmd/widget-test-setup/x.go":  mainGo,
				"cmd/widgetctl/main.go":       mainGo,
				"helpers/changelog/main.go":   mainGo,
				"tools/gen-mocks/main.go":     mainGo,
				"cmd/generate-docs/main.go":   mainGo,
				"internal/e2e/runner/main.go": mainGo,
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the module github.com/acme/widget-go.\n" + ranked + "binaries:\n" +
				"  - name: widget\n    main: ./cmd/widget\n  - name: widgetctl\n    main: ./cmd/widgetctl\n" +
				"# Left out as not what the image ships; add any back under binaries:\n" +
				"#   ./cmd/aaa-release: tooling (release)\n#   ./cmd/generate-docs: tooling (generate)\n#   ./cmd/widget-test-setup: a test helper\n" +
				"#   ./helpers/changelog: under helpers/\n#   ./internal/e2e/runner: under internal/\n#   ./tools/gen-mocks: under tools/\n" +
				"base: distroless\n",
		},
		{
			desc: "version variables -X can set, in main and in a version package it imports; others left alone",
			repo: "cli",
			files: map[string]string{
				"go.mod": "module example.com/cli\n\ngo 1.26\n",
				"main.go": "package main\n\nimport (\n\t_ \"example.com/cli/internal/version\"\n\t_ \"example.com/cli/pkg/api\"\n)\n\nvar version = \"dev\"\n\nvar (\n\tcommit string\n\tBuildDate = \"unknown\"\n\tdate = today()\n)\n\n" +
					"const Revision = \"x\"\n\nvar gitVersion int\n\nfunc today() string { return \"\" }\n\nfunc main() {}\n",
				"internal/version/version.go": "package version\n\nvar GitCommit string\n",
				"pkg/api/api.go":              "package api\n\nvar Version = \"v1\" // the API's, not the build's\n",
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the module example.com/cli.\n" + ranked + "binaries:\n" +
				"  - name: cli\n    main: .\n" +
				"    # Its version variables, which -X sets: --build-arg VERSION=1.2.3; the build gives\n" +
				"    # GOIMAGE_REVISION (the git commit) and GOIMAGE_DATE (SOURCE_DATE_EPOCH).\n" +
				"    ldflags: [\"-X main.BuildDate=${GOIMAGE_DATE}\", \"-X main.commit=${GOIMAGE_REVISION}\", \"-X main.version=${VERSION}\", " +
				"\"-X example.com/cli/internal/version.GitCommit=${GOIMAGE_REVISION}\"]\n" +
				"base: distroless\n",
		},
		{
			desc: "variables the Makefile stamps with -X in a package not named for versions; its others left alone",
			repo: "web",
			files: map[string]string{
				"go.mod":                 "module github.com/acme/web\n\ngo 1.26\n",
				"main.go":                "package main\n\nimport _ \"github.com/acme/web/pkg/command\"\n\nfunc main() {}\n",
				"pkg/command/version.go": "package command\n\nconst v = \"0.17.0\"\n\nvar (\n\tVersion = \"0.17.0\"\n\tGitCommit string\n\tBuildTime string\n\tGoVersion string\n)\n",
				"Makefile": "PKG = github.com/acme/web\nGIT_COMMIT ?= $(shell git rev-parse HEAD)\n" +
					"LDFLAGS = -s -w\nLDFLAGS += -X $(PKG)/pkg/command.GitCommit=$(GIT_COMMIT)\n" +
					"LDFLAGS += -X ${PKG}/pkg/command.BuildTime=$(BUILD_TIME) -X '$(PKG)/pkg/command.GoVersion=x'\n" +
					"LDFLAGS += -X $(UNSET)/pkg/command.Version=1\n\nbuild:\n\tgo build -ldflags '${LDFLAGS}'\n",
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the module github.com/acme/web.\n" + ranked + "binaries:\n" +
				"  - name: web\n    main: .\n" +
				"    # Its version variables, which -X sets: the build gives GOIMAGE_REVISION (the git\n    # commit) and GOIMAGE_DATE (SOURCE_DATE_EPOCH).\n" +
				"    ldflags: [\"-X github.com/acme/web/pkg/command.BuildTime=${GOIMAGE_DATE}\", \"-X github.com/acme/web/pkg/command.GitCommit=${GOIMAGE_REVISION}\"]\n" +
				"base: distroless\n",
		},
		{
			desc: "a GoReleaser v2 configuration: its builds, ldflags templates as build args, what cannot map as notes",
			repo: "shipit",
			files: map[string]string{
				"go.mod":               "module github.com/acme/shipit\n\ngo 1.26\n",
				"cmd/shipit/main.go":   mainGo,
				"cmd/shipitd/main.go":  mainGo,
				"cmd/release/main.go":  mainGo,
				"internal/dev/main.go": mainGo,
				".goreleaser.yaml": `version: 2
project_name: shipit
builds:
  - id: cli
    main: ./cmd/shipit
    binary: "{{ .ProjectName }}"
    ldflags:
      - -s -w
      - -X github.com/acme/shipit/internal/version.Version={{.Version}}
      - -X 'main.commit={{ .ShortCommit }}' -X main.date={{.CommitDate}}
      - -X main.tree={{ .GitTreeState }}
    tags: [netgo, osusergo]
    flags: [-trimpath, -v]
    goos: [linux, darwin]
  - id: daemon
    main: ./cmd/shipitd/main.go
    binary: shipitd
    env: [CGO_ENABLED=1]
  - id: cli-windows
    main: ./cmd/shipit
    binary: shipit
    goos: [windows]
  - id: rusty
    builder: rust
    binary: rustthing
`,
			},
			want: header + "go: \"1.26\"\n# .goreleaser.yaml builds with CGO_ENABLED=1.\ncgo: true\n# Binaries: .goreleaser.yaml, which releases them.\nbinaries:\n" +
				"  - name: shipit\n    main: ./cmd/shipit\n    # from .goreleaser.yaml build cli\n" +
				"    # ldflags \"-X main.tree={{ .GitTreeState }}\": a template init cannot map\n" +
				"    # flag -trimpath: goimage sets it itself\n" +
				"    ldflags: [\"-X github.com/acme/shipit/internal/version.Version=${VERSION}\", \"-X main.commit=${GOIMAGE_REVISION}\", \"-X main.date=${GOIMAGE_DATE}\"]\n" +
				"    tags: [\"netgo\", \"osusergo\"]\n    flags: [\"-v\"]\n" +
				// GoReleaser's default ldflags set variables shipitd does not declare: none.
				"  - name: shipitd\n    main: ./cmd/shipitd\n    # from .goreleaser.yaml build daemon\n" +
				"# Left out as not what the image ships; add any back under binaries:\n" +
				"#   ./cmd/release: not built by .goreleaser.yaml\n#   ./internal/dev: not built by .goreleaser.yaml\n" +
				"base: distroless\n",
		},
		{
			desc: "a GoReleaser v1 configuration with no builds: GoReleaser's default build, its -X for the variables declared",
			repo: "tiny",
			files: map[string]string{
				"go.mod":          "module github.com/acme/tiny\n\ngo 1.26\n",
				"main.go":         "package main\n\nvar version, commit, date = \"dev\", \"none\", \"unknown\"\n\nfunc main() {}\n",
				".goreleaser.yml": "project_name: tiny\nrelease:\n  draft: true\n",
			},
			want: header + "go: \"1.26\"\n# Binaries: .goreleaser.yml, which releases them.\nbinaries:\n" +
				"  - name: tiny\n    main: .\n    # from .goreleaser.yml\n    # GoReleaser's default ldflags, for the variables the binary declares\n" +
				"    ldflags: [\"-X main.version=${VERSION}\", \"-X main.commit=${GOIMAGE_REVISION}\", \"-X main.date=${GOIMAGE_DATE}\"]\n" +
				"base: distroless\n",
		},
		{
			desc: "a distroless Dockerfile: its ports, volumes, working directory and command arguments",
			repo: "server",
			files: map[string]string{
				"go.mod":  "module example.com/server\n\ngo 1.26\n",
				"main.go": mainGo,
				"Dockerfile": "FROM golang:1.26 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/server .\n\n" +
					"FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /out/server /usr/local/bin/server\n" +
					"EXPOSE 8080 9090/udp\nVOLUME /data\nWORKDIR /srv\nUSER 65532:65532\nENTRYPOINT [\"/usr/local/bin/server\"]\nCMD [\"serve\", \"--port=8080\"]\n",
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the module example.com/server.\n" + ranked + "binaries:\n" +
				"  - name: server\n    main: .\n" +
				"# The base and the image configuration: the Dockerfile's final stage.\nbase: distroless\n" +
				"image:\n  cmd: [\"serve\", \"--port=8080\"]\n  expose: [\"8080\", \"9090/udp\"]\n  volumes: [\"/data\"]\n  workdir: \"/srv\"\n",
		},
		{
			desc: "a scratch Dockerfile with CA certificates, time zones and a user of its own",
			repo: "edge",
			files: map[string]string{
				"go.mod":  "module example.com/edge\n\ngo 1.26\n",
				"main.go": mainGo,
				"Dockerfile": "FROM golang:1.26 AS build\nRUN go build -o /edge .\nFROM scratch\n" +
					"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/\nCOPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo\n" +
					"COPY --from=build /edge /edge\nUSER 1000:1000\nCMD [\"/edge\", \"-v\"]\n",
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the module example.com/edge.\n" + ranked + "binaries:\n" +
				"  - name: edge\n    main: .\n" +
				"# The base and the image configuration: the Dockerfile's final stage.\nbase: scratch\ntzdata: true\ncacerts: true\n" +
				"image:\n  cmd: [\"-v\"]\n  user: \"1000:1000\"\n",
		},
		{
			desc: "an alpine Dockerfile running as root with a shell-form command: nonroot distroless, with notes",
			repo: "legacy",
			files: map[string]string{
				"go.mod":     "module example.com/legacy\n\ngo 1.26\n",
				"main.go":    mainGo,
				"Dockerfile": "FROM alpine:3.20\nRUN apk add --no-cache tzdata\nCOPY legacy /bin/legacy\nUSER root\nEXPOSE 80\nCMD legacy --serve\n",
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the module example.com/legacy.\n" + ranked + "binaries:\n" +
				"  - name: legacy\n    main: .\n" +
				"# The base and the image configuration: the Dockerfile's final stage.\n" +
				"# Left out: its base alpine:3.20: distroless instead (non-root, CA certificates, time zones, no shell).\n" +
				"# Left out: its USER root: the image runs as nonroot (65532) instead.\n" +
				"# Left out: its shell-form CMD legacy --serve: the image has no shell.\n" +
				"base: distroless\nimage:\n  expose: [\"80\"]\n",
		},
		{
			desc: "a test image's Dockerfile, which neither copies in nor runs the binary, is not read",
			repo: "finder",
			files: map[string]string{
				"go.mod":  "module github.com/acme/finder\n\ngo 1.26\n",
				"main.go": mainGo,
				"Dockerfile": "FROM ruby:3.4\nRUN apt-get install -y tmux golang\nCOPY . /finder\nRUN cd /finder && make install\n" +
					"USER 1000\nEXPOSE 80\nCMD [\"bash\", \"-ic\", \"ruby /finder/test/runner.rb\"]\n",
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the module github.com/acme/finder.\n" + ranked + "binaries:\n" +
				"  - name: finder\n    main: .\n" +
				"# Not read: the Dockerfile: its final stage (FROM ruby:3.4) neither copies in nor runs finder, " +
				"so it is not their image (a test or development image, say).\nbase: distroless\n",
		},
		{
			desc: "a CMD that runs something else than the binary, which the Dockerfile copies in",
			repo: "svc",
			files: map[string]string{
				"go.mod":     "module github.com/acme/svc\n\ngo 1.26\n",
				"main.go":    mainGo,
				"Dockerfile": "FROM gcr.io/distroless/static\nCOPY svc /usr/bin/svc\nCMD [\"/busybox/sh\", \"-c\", \"svc\"]\n",
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the module github.com/acme/svc.\n" + ranked + "binaries:\n" +
				"  - name: svc\n    main: .\n" +
				"# The base and the image configuration: the Dockerfile's final stage.\n" +
				"# Left out: its CMD /busybox/sh -c svc: runs none of the binaries.\nbase: distroless\n",
		},
		{
			desc: "a main package that imports \"C\": cgo on",
			repo: "cgo",
			files: map[string]string{
				"go.mod":  "module example.com/cgo\n\ngo 1.26\n",
				"main.go": "package main\n\n// int add(int a, int b) { return a + b; }\nimport \"C\"\n\nfunc main() { _ = C.add(2, 3) }\n",
			},
			want: header + "go: \"1.26\"\n# cgo, so distroless is base-debian12 (glibc): . imports \"C\".\ncgo: true\n" +
				"# Binaries: the main packages of the module example.com/cgo.\n" + ranked + "binaries:\n" +
				"  - name: cgo\n    main: .\nbase: distroless\n",
		},
		{
			desc: "a binary importing a cgo-only driver through a package of its own: cgo on",
			repo: "notes",
			files: map[string]string{
				"go.mod":         "module example.com/notes\n\ngo 1.26\n\nrequire github.com/mattn/go-sqlite3 v1.14.22\n",
				"main.go":        "package main\n\nimport _ \"example.com/notes/store\"\n\nfunc main() {}\n",
				"store/store.go": "package store\n\nimport _ \"github.com/mattn/go-sqlite3\"\n",
			},
			want: header + "go: \"1.26\"\n# cgo, so distroless is base-debian12 (glibc): . imports github.com/mattn/go-sqlite3, which works only with cgo.\ncgo: true\n" +
				"# Binaries: the main packages of the module example.com/notes.\n" + ranked + "binaries:\n" +
				"  - name: notes\n    main: .\nbase: distroless\n",
		},
		{
			desc: "a cgo-only driver required by a test command only: cgo stays off, go.mod untouched",
			repo: "replica",
			files: map[string]string{
				"go.mod":                   "module example.com/replica\n\ngo 1.26\n\nrequire github.com/mattn/go-sqlite3 v1.14.22\n",
				"cmd/replica/main.go":      "package main\n\nimport _ \"modernc.org/sqlite\"\n\nfunc main() {}\n",
				"cmd/replica-test/main.go": "package main\n\nimport _ \"github.com/mattn/go-sqlite3\"\n\nfunc main() {}\n",
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the module example.com/replica.\n" + ranked + "binaries:\n" +
				"  - name: replica\n    main: ./cmd/replica\n" +
				"# Left out as not what the image ships; add any back under binaries:\n#   ./cmd/replica-test: a test helper\n" +
				"base: distroless\n",
		},
		{
			desc: "a go.work workspace: the product's modules in go.work's order, not the root module's demos",
			repo: "proj",
			files: map[string]string{
				"go.work":              "go 1.25.0\n\nuse (\n\t.\n\t./server\n\t./ctl\n\t./utl\n)\n",
				"go.mod":               "module github.com/acme/proj\n\ngo 1.25.0\n",
				"demo/hello/main.go":   mainGo,
				"demo/bye/main.go":     mainGo,
				"server/go.mod":        "module github.com/acme/proj/server\n\ngo 1.25.0\n\nrequire github.com/acme/proj/utl v0.0.0\n\nreplace github.com/acme/proj/utl => ../utl\n",
				"server/main.go":       mainGo,
				"ctl/go.mod":           "module github.com/acme/proj/ctl\n\ngo 1.25.0\n",
				"ctl/main.go":          mainGo,
				"utl/go.mod":           "module github.com/acme/proj/utl\n\ngo 1.25.0\n",
				"utl/main.go":          mainGo,
				"utl/internal/x/x.go":  "package x\n",
				"server/cmd/migrate/m": "",
			},
			want: header + "go: \"1.26\"\n# Binaries: the main packages of the go.work modules (., server, ctl, utl).\n" + ranked + "binaries:\n" +
				"  - name: server\n    main: ./server\n  - name: ctl\n    main: ./ctl\n  - name: utl\n    main: ./utl\n" +
				"# Left out as not what the image ships; add any back under binaries:\n" +
				"#   ./demo/bye: under demo/\n#   ./demo/hello: under demo/\n" +
				"base: distroless\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tt.repo)
			testenv.WriteFiles(t, dir, tt.files)
			got, err := initGoimagefile(dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Goimagefile (-got +want):\n%s", diff)
			}
			if _, err := spec.Parse([]byte(got)); err != nil {
				t.Errorf("spec.Parse: %v", err)
			}
			if gomod, err := os.ReadFile(filepath.Join(dir, "go.mod")); err != nil || string(gomod) != tt.files["go.mod"] {
				t.Errorf("init changed go.mod to %q (%v)", gomod, err)
			}
		})
	}
}

// TestInitCorpusShapes runs init on trees written in the shapes of the real repositories of
// hack/bench-projects (testdata/corpus/NAME.txtar: module files, release configuration,
// Dockerfile, package stubs with their package clauses, build constraints, imports and
// version variables) and compares what it writes with what init wrote on the repository
// itself, as that project's Goimagefile.init records it. CI cannot reach the repositories;
// TestInitCorpus in e2e checks the records against them.
func TestInitCorpusShapes(t *testing.T) {
	testenv.SkipIfShort(t, "runs go list")
	archives, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	projects, err := filepath.Glob(filepath.Join("..", "..", "hack", "bench-projects", "*", "Goimagefile.init"))
	if err != nil {
		t.Fatal(err)
	}
	if len(archives) != len(projects) {
		t.Errorf("%d shapes in testdata/corpus for %d projects with a Goimagefile.init: want one each", len(archives), len(projects))
	}
	for _, file := range archives {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			project := filepath.Join("..", "..", "hack", "bench-projects", name)
			want, err := bench.RecordedInit(project)
			if err != nil {
				t.Fatal(err)
			}
			source, err := os.ReadFile(filepath.Join(project, "SOURCE"))
			if err != nil {
				t.Fatal(err)
			}
			// The checkout is named after the repository, as init's ranking reads it.
			repo, _, _ := strings.Cut(string(source), " ")
			dir := filepath.Join(t.TempDir(), path.Base(repo))
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			files := map[string]string{}
			for _, f := range ar.Files {
				files[f.Name] = string(f.Data)
			}
			testenv.WriteFiles(t, dir, files)
			got, err := initGoimagefile(dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("Goimagefile (-got +want, from %s/Goimagefile.init):\n%s", project, diff)
			}
		})
	}
}

// TestInitWrites checks where init writes: DIR/Goimagefile (DIR relative to the working
// directory), never over one without --force, and stdout with --print.
func TestInitWrites(t *testing.T) {
	testenv.SkipIfShort(t, "runs go list")
	t.Chdir(t.TempDir())
	dir := filepath.Join("repos", "app")
	testenv.WriteFiles(t, dir, map[string]string{"go.mod": "module example.com/app\n\ngo 1.26\n", "main.go": mainGo})
	file := filepath.Join(dir, "Goimagefile")
	var out bytes.Buffer
	if err := runInit(&out, []string{dir}); err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(written), "main: .") {
		t.Fatalf("init wrote %q, %v", written, err)
	}
	if err := os.WriteFile(file, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runInit(&out, []string{dir}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("init over an existing Goimagefile: %v, want a refusal naming --force", err)
	}
	out.Reset()
	if err := runInit(&out, []string{"--print", dir}); err != nil || out.String() != string(written) {
		t.Errorf("init --print = %q, %v; want what init writes", out.String(), err)
	}
	if data, _ := os.ReadFile(file); string(data) != "mine\n" {
		t.Errorf("init --print changed the Goimagefile to %q", data)
	}
	if err := runInit(&out, []string{"--force", dir}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(file); string(data) != string(written) {
		t.Errorf("init --force wrote %q, want %q", data, written)
	}
}

func TestGoVersion(t *testing.T) {
	for gomod, want := range map[string]string{
		"module m\n\ngo 1.21\n":   "1.26", // goimage's default builds older modules
		"module m\n\ngo 1.99.1\n": "1.99", // a newer module gets the builder it asks for
		"module m\n":              "1.26",
	} {
		if got := goVersion([]byte(gomod)); got != want {
			t.Errorf("goVersion(%q) = %q, want %q", gomod, got, want)
		}
	}
}
