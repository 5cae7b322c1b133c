package bench

import (
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
