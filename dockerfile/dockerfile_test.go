package dockerfile

import (
	"strings"
	"testing"

	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		desc, goimagefile string
		want, notWant     []string
	}{
		{
			desc:        "modules, a build arg in ldflags, distroless",
			goimagefile: "version: 1\nbinaries:\n  - {name: app, main: ./cmd/app, ldflags: [\"-X main.version=${VERSION}\"]}\n",
			want: []string{
				"COPY go.mod go.sum* go.work* /src/\nRUN --mount=type=cache,target=/go/pkg/mod [\"go\",\"mod\",\"download\"]\n",
				"ARG TARGETOS TARGETARCH VERSION\n",
				"ENV GOOS=${TARGETOS} GOARCH=${TARGETARCH}\n",
				`set -- "$(goquote -ldflags= '' -s -w -buildid= -X main.version="${VERSION}")" && \` + "\n",
				`go build -trimpath -buildvcs=false "${1}" -o /out/app ./cmd/app` + "\n",
				"FROM gcr.io/distroless/static-debian12:nonroot\n",
				"USER 65532:65532\nENTRYPOINT [\"/app\"]\n",
			},
		},
		{
			desc: "vendor, private modules, cgo, files and a generate step",
			goimagefile: "version: 1\nvendor: true\ncgo: true\nmain: .\nfiles: [{src: web, dst: /srv/web}]\n" +
				"generate: [{run: [go, tool, stringer, -type=C, ./c], inputs: [c/]}]\nimage: {env: {A: \"$(id) \\\"q\\\"\"}}\n",
			want: []string{
				"ENV CGO_ENABLED=1 GOFLAGS=-mod=vendor GOTOOLCHAIN=local\n",
				"RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build [\"go\",\"tool\",\"stringer\",\"-type=C\",\"./c\"]\n",
				"FROM gcr.io/distroless/base-debian12:nonroot\n",
				"COPY --chown=0:0 web /srv/web\n",
				`ENV A='$(id) "q"'` + "\n",
			},
			notWant: []string{"go mod download"},
		},
		{
			desc:        "netrc secret and ssh reach the download only",
			goimagefile: "version: 1\nmain: .\ngoprivate: corp.example.com\nprivate: {netrc: corp, ssh: true}\n",
			want:        []string{"RUN --mount=type=cache,target=/go/pkg/mod --mount=type=secret,id=corp,target=/root/.netrc --mount=type=ssh [\"env\",\"GOPRIVATE=corp.example.com\",\"go\",\"mod\",\"download\"]\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s, err := spec.Parse([]byte(tt.goimagefile))
			if err != nil {
				t.Fatal(err)
			}
			got, err := writeSpec(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("the Dockerfile lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("the Dockerfile has %q:\n%s", w, got)
				}
			}
		})
	}
}

// writeSpec resolves s without build args, as `goimage dockerfile` does, and writes it. What
// Resolve reports is left to Write, which must refuse every such value itself: it is safe
// for any plan (TestWriteRefuses, TestWriteRandom).
func writeSpec(s *spec.Spec) (string, error) {
	p, _ := plan.Resolve(s, plan.Inputs{})
	return Write(p)
}
