package frontend

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBuildArgs(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	tests := []struct {
		desc  string
		args  map[string]string
		opts  map[string]string
		epoch *time.Time
		want  map[string]string
	}{
		{
			desc: "nothing known: no revision, the Unix epoch",
			want: map[string]string{RevisionArg: "", DateArg: "1970-01-01T00:00:00Z"},
		},
		{
			desc: "the revision buildx sends and SOURCE_DATE_EPOCH",
			args: map[string]string{"VERSION": "1.2.3"}, opts: map[string]string{"vcs:revision": "abc123"}, epoch: &epoch,
			want: map[string]string{"VERSION": "1.2.3", RevisionArg: "abc123", DateArg: "2023-11-14T22:13:20Z"},
		},
		{
			desc: "build args of the same names win",
			args: map[string]string{RevisionArg: "v2", DateArg: "today"}, opts: map[string]string{"vcs:revision": "abc123"}, epoch: &epoch,
			want: map[string]string{RevisionArg: "v2", DateArg: "today"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if diff := cmp.Diff(buildArgs(tt.args, tt.opts, tt.epoch), tt.want); diff != "" {
				t.Errorf("buildArgs (-got +want):\n%s", diff)
			}
		})
	}
}

func TestOCILabels(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	got := ociLabels(map[string]string{"vcs:source": "https://example.com/app.git", "vcs:revision": "abc123"}, &epoch)
	want := map[string]string{
		"org.opencontainers.image.source":   "https://example.com/app.git",
		"org.opencontainers.image.revision": "abc123",
		"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("labels (-got +want):\n%s", diff)
	}
	if got := ociLabels(nil, nil); len(got) != 0 {
		t.Errorf("labels without VCS data or epoch = %v, want none", got)
	}
}
