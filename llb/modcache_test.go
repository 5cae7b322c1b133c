package llb

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/solver/pb"
)

const credentialsDigestName = "[internal] digest the credentials of the module download"

// TestModuleCacheScope checks which persistent module caches the download step reads and
// writes: the shared one only when verification is whole and no credentials are used.
func TestModuleCacheScope(t *testing.T) {
	shared := "goimage-modcache"
	own := "goimage-modcache-unverified"
	readShared := cacheMount{sharedModCacheDir, shared, true}
	tests := []struct {
		desc     string
		fields   string
		wantArgs []string
		want     []cacheMount
	}{
		{
			desc:     "verification whole: the shared cache, read and written",
			fields:   "goproxy: https://proxy.example.com\n",
			wantArgs: []string{"-cache", modProxyDir},
			want:     []cacheMount{{modProxyDir, shared, false}},
		},
		{
			desc:     "goprivate implies GONOSUMDB: its own cache, the shared one read-only",
			fields:   "goprivate: corp.example.com\n",
			wantArgs: []string{"-cache", modProxyDir, "-read", sharedModCacheDir},
			want:     []cacheMount{{modProxyDir, own, false}, readShared},
		},
		{
			desc:     "gonosumdb",
			fields:   "gonosumdb: '*'\n",
			wantArgs: []string{"-cache", modProxyDir, "-read", sharedModCacheDir},
			want:     []cacheMount{{modProxyDir, own, false}, readShared},
		},
		{
			desc:     "goinsecure",
			fields:   "goinsecure: example.com\n",
			wantArgs: []string{"-cache", modProxyDir, "-read", sharedModCacheDir},
			want:     []cacheMount{{modProxyDir, own, false}, readShared},
		},
		{
			desc:     "GOFLAGS -insecure",
			fields:   "goflags: -p=2 --insecure\n",
			wantArgs: []string{"-cache", modProxyDir, "-read", sharedModCacheDir},
			want:     []cacheMount{{modProxyDir, own, false}, readShared},
		},
		{
			desc:     "a netrc secret: reads the shared cache, writes none",
			fields:   "private:\n  netrc: corp\n",
			wantArgs: []string{"-read", sharedModCacheDir},
			want:     []cacheMount{readShared},
		},
		{
			desc:     "an SSH agent and goprivate: reads the shared cache, writes none",
			fields:   "goprivate: corp.example.com\nprivate:\n  ssh: true\n",
			wantArgs: []string{"-read", sharedModCacheDir},
			want:     []cacheMount{readShared},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, g := convert(t, minimal+tt.fields, crossOpts(amd64))
			dl := g.named(downloadName)
			if diff := cmp.Diff(dl.exec().Meta.Args[7:], tt.wantArgs); diff != "" {
				t.Errorf("cache args (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(moduleCacheMounts(dl), tt.want); diff != "" {
				t.Errorf("module cache mounts (-got +want):\n%s", diff)
			}
		})
	}
}

type cacheMount struct {
	Dest, ID string
	Readonly bool
}

// moduleCacheMounts are the cache mounts of an op other than the build cache.
func moduleCacheMounts(n *node) []cacheMount {
	var got []cacheMount
	for _, m := range n.exec().Mounts {
		if m.MountType == pb.MountType_CACHE && m.Dest != goCache {
			got = append(got, cacheMount{m.Dest, m.CacheOpt.GetID(), m.Readonly})
		}
	}
	return got
}

// TestCredentialsDigest checks that a download with credentials is keyed on them: a step
// that is never cached digests them, and the download mounts its result read-only (which
// BuildKit keys on content). Without credentials there is no such step.
func TestCredentialsDigest(t *testing.T) {
	for _, tt := range []struct {
		desc, fields string
		wantArgs     []string
	}{
		{"netrc", "private:\n  netrc: corp\n", []string{"-netrc", netrcPath}},
		{"ssh", "private:\n  ssh: true\n", []string{"-ssh"}},
		{"both", "private:\n  netrc: corp\n  ssh: true\n", []string{"-netrc", netrcPath, "-ssh"}},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			_, g := convert(t, minimal+tt.fields, crossOpts(amd64))
			digest := g.named(credentialsDigestName)
			want := append([]string{helperBin, "credentials", "-o", credentialsDir + "/digest"}, tt.wantArgs...)
			if diff := cmp.Diff(digest.exec().Meta.Args, want); diff != "" {
				t.Errorf("args (-got +want):\n%s", diff)
			}
			if md := g.def.Metadata[digest.dgst]; !md.IgnoreCache {
				t.Error("the credentials digest step is cached: a build without them would reuse it")
			}
			if digest.exec().Network != pb.NetMode_NONE {
				t.Errorf("network %v, want none", digest.exec().Network)
			}
			dl := g.named(downloadName)
			m := dl.mount(credentialsDir)
			if !m.Readonly {
				t.Error("the download mounts the digest writable: BuildKit would not key it on content")
			}
			if src, _ := dl.mountSource(credentialsDir); src == nil || src.dgst != digest.dgst {
				t.Errorf("%s is mounted from %v, want the digest step", credentialsDir, src)
			}
		})
	}
	_, g := convert(t, minimal, crossOpts(amd64))
	if n := len(g.byName[credentialsDigestName]); n != 0 {
		t.Errorf("a build without credentials has %d digest steps", n)
	}
	if dests := g.named(downloadName).mountDests(); slices.Contains(dests, credentialsDir) {
		t.Errorf("a download without credentials mounts %s: %q", credentialsDir, dests)
	}
}
