package llb

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
)

// FuzzConvert checks that every spec Parse accepts converts to a graph that marshals, for a
// native and a cross build, or fails with an error: never a panic.
func FuzzConvert(f *testing.F) {
	files, _ := filepath.Glob("../spec/testdata/good/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := spec.Parse(data)
		if err != nil {
			return
		}
		p, err := plan.Resolve(s, plan.Inputs{BuildArgs: map[string]string{"VERSION": "1.0 \"; rm -rf /"}})
		if err != nil {
			return
		}
		for _, opt := range []Options{crossOpts(amd64), crossOpts(arm64)} {
			res, err := Convert(context.Background(), p, opt)
			if err != nil {
				continue
			}
			if _, err := res.State.Marshal(context.Background()); err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if _, err := ConvertTest(context.Background(), p, opt); err != nil {
				t.Fatalf("ConvertTest after Convert succeeded: %v", err)
			}
		}
	})
}
