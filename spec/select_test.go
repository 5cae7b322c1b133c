package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelect(t *testing.T) {
	const file = `version: 1
binaries:
  - name: api
    main: ./cmd/api
  - name: worker
    main: ./cmd/worker
    tags: [jobs]
`
	tests := []struct {
		desc           string
		file, target   string
		wantEntrypoint []string
		wantMainPos    Pos
		wantErr        string
	}{
		{desc: "the second binary becomes the entrypoint", file: file, target: "worker", wantEntrypoint: []string{"/worker"}, wantMainPos: Pos{6, 11}},
		{desc: "an explicit entrypoint stays", file: file + "image: {entrypoint: [/api, serve]}\n", target: "worker", wantEntrypoint: []string{"/api", "serve"}, wantMainPos: Pos{6, 11}},
		{desc: "an unknown target lists the targets", file: file, target: "web", wantErr: `target "web": not a binary of this Goimagefile; targets are api, worker, test`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s, err := Parse([]byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Select(tt.target)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Select error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Binaries) != 1 || got.Binaries[0].Name != tt.target {
				t.Errorf("binaries = %+v, want only %s", got.Binaries, tt.target)
			}
			if diff := cmp.Diff(got.Image.Entrypoint, tt.wantEntrypoint); diff != "" {
				t.Errorf("entrypoint (-got +want):\n%s", diff)
			}
			if p := got.Pos("binaries[0].main"); p != tt.wantMainPos {
				t.Errorf("binaries[0].main at %v, want %v (the selected binary's line)", p, tt.wantMainPos)
			}
			if len(s.Binaries) != 2 {
				t.Errorf("Select changed the original spec: %d binaries", len(s.Binaries))
			}
		})
	}
}
