package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
)

func TestDockerfile(t *testing.T) {
	s, err := spec.Parse([]byte("version: 1\ngo: \"1.26\"\nbinaries:\n  - main: ./cmd/app\n    tags: [netgo]\nbase: distroless\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Resolve(s, plan.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc, variant, want string
	}{
		{
			desc: "naive: the whole context, then go build", variant: Naive,
			want: `FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY . .
ARG TARGETOS TARGETARCH
RUN cd /src && CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -tags netgo -o /out/app ./cmd/app

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /
USER 65532:65532
ENTRYPOINT ["/app"]
`,
		},
		{
			desc: "seed 004: a layered download and cache mounts", variant: Seed004,
			want: `FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum* /src/
RUN --mount=type=cache,target=/go/pkg/mod cd /src && go mod download
COPY . .
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build cd /src && CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -tags netgo -o /out/app ./cmd/app

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /
USER 65532:65532
ENTRYPOINT ["/app"]
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if diff := cmp.Diff(dockerfile(tc.variant, p), tc.want); diff != "" {
				t.Errorf("Dockerfile (-got +want):\n%s", diff)
			}
		})
	}
}

// TestDockerInitDockerfile checks the dockerinit variant: docker init's syntax line and Go
// build stage, a module cache mount and bind mounts, no build cache mount, go.sum bound only when there is
// one, each binary to /bin.
func TestDockerInitDockerfile(t *testing.T) {
	s, err := spec.Parse([]byte("version: 1\ndir: svc\nbinaries:\n  - main: ./cmd/app\n    tags: [netgo]\n  - main: ./cmd/cli\nbase: distroless\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Resolve(s, plan.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	want := `# syntax=docker/dockerfile:1
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
RUN --mount=type=cache,target=/go/pkg/mod/ \
    --mount=type=bind,source=svc/go.sum,target=/src/svc/go.sum \
    --mount=type=bind,source=svc/go.mod,target=/src/svc/go.mod \
    cd /src/svc && go mod download -x
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod/ \
    --mount=type=bind,target=. \
    cd /src/svc && CGO_ENABLED=0 GOARCH=$TARGETARCH go build -tags netgo -o /bin/app ./cmd/app
RUN --mount=type=cache,target=/go/pkg/mod/ \
    --mount=type=bind,target=. \
    cd /src/svc && CGO_ENABLED=0 GOARCH=$TARGETARCH go build -o /bin/cli ./cmd/cli

FROM gcr.io/distroless/static-debian12:nonroot AS final
USER 65532:65532
COPY --from=build /bin/app /bin/
COPY --from=build /bin/cli /bin/
ENTRYPOINT [ "/bin/app" ]
`
	if diff := cmp.Diff(dockerInitDockerfile(p, true), want); diff != "" {
		t.Errorf("Dockerfile (-got +want):\n%s", diff)
	}
	if got := dockerInitDockerfile(p, false); strings.Contains(got, "go.sum") {
		t.Errorf("a module without go.sum: %s", got)
	}
}

func TestReadBumps(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bumps")
	os.WriteFile(file, []byte("# comment\ndeps github.com/spf13/pflag v1.0.6 -> v1.0.7 # trailing\n\nyq golang.org/x/text v0.41.0 -> v0.42.0\n"), 0o644)
	got, err := ReadBumps(file)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*Bump{
		"deps": {Module: "github.com/spf13/pflag", From: "v1.0.6", To: "v1.0.7"},
		"yq":   {Module: "golang.org/x/text", From: "v0.41.0", To: "v0.42.0"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("bumps (-got +want):\n%s", diff)
	}
	os.WriteFile(file, []byte("deps github.com/spf13/pflag v1.0.7\n"), 0o644)
	if _, err := ReadBumps(file); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Errorf("a line without -> TO: %v, want an error at line 1", err)
	}
}

// TestBumpsFile reads hack/bench-bumps, which hack/bench reads.
func TestBumpsFile(t *testing.T) {
	bumps, err := ReadBumps("../../hack/bench-bumps")
	if err != nil || len(bumps) == 0 {
		t.Fatalf("hack/bench-bumps: %v, %d bumps", err, len(bumps))
	}
}
