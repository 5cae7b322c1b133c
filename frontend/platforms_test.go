package frontend

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/worker/label"
)

// TestFilePlatforms checks which of the file's platforms a build makes when it asks for none:
// all of them, but on Docker Engine's classic image store, which holds one platform per image,
// the build platform's (or the first), with a warning; --platform is always obeyed.
func TestFilePlatforms(t *testing.T) {
	const hostGateway = "org.mobyproject.buildkit.worker.moby.host-gateway-ip"
	classic := map[string]string{hostGateway: "172.17.0.1"}
	containerdStore := map[string]string{hostGateway: "172.17.0.1", label.Snapshotter: "overlayfs"}
	buildkitd := map[string]string{label.Executor: "oci", label.Snapshotter: "overlayfs"}
	tests := []struct {
		desc        string
		labels      map[string]string
		opts        map[string]string
		want        []string
		wantWarning bool
	}{
		{desc: "buildkitd: every platform of the file", labels: buildkitd, want: []string{"linux/amd64", "linux/arm64"}},
		{desc: "Docker Engine, containerd image store: every platform", labels: containerdStore, want: []string{"linux/amd64", "linux/arm64"}},
		{desc: "Docker Engine, classic image store: the build platform's, with a warning", labels: classic, want: []string{"linux/amd64"}, wantWarning: true},
		{desc: "classic image store with no host gateway: no labels at all", labels: map[string]string{}, want: []string{"linux/amd64"}, wantWarning: true},
		{
			desc: "classic image store, --platform asks for both: obeyed", labels: classic,
			opts: map[string]string{"platform": "linux/amd64,linux/arm64"}, want: []string{"linux/amd64", "linux/arm64"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := newFakeClient(t, "../examples/multi", tt.opts)
			c.WorkerLabels = tt.labels
			var got []string
			for _, img := range resultImages(t, build(t, c)) {
				got = append(got, img.Platform)
			}
			slices.Sort(got)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("platforms (-got +want):\n%s", diff)
			}
			warned := slices.ContainsFunc(c.Warnings(), func(w string) bool { return strings.Contains(w, "classic image store") })
			if warned != tt.wantWarning {
				t.Errorf("warnings %q: classic image store warning %v, want %v", c.Warnings(), warned, tt.wantWarning)
			}
		})
	}
}
