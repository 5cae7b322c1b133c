package bench

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReportLines(t *testing.T) {
	r := &Report{
		Measurements: []*Measurement{
			{Project: "p", Variant: Goimage, Scenario: Edit, Seconds: []float64{1, 9, 2}},
			{Project: "p", Variant: Seed004, Scenario: Edit, Seconds: []float64{4, 4, 5}},
			{Project: "p", Variant: Goimage, Scenario: Cold, Seconds: []float64{10, 12}},
			{Project: "p", Variant: Goimage, Scenario: Platforms, Seconds: []float64{16.5}},
		},
		Sizes: []Size{{Project: "p", Variant: Goimage, Image: 2000, BinaryLayer: 1500}},
	}
	var b strings.Builder
	r.Write(&b, Options{Variants: []string{Goimage, Seed004}, Scenarios: []string{Cold, Edit, Platforms}})
	var got []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "RESULT") || strings.HasPrefix(l, "RATIO") {
			got = append(got, l)
		}
	}
	want := []string{
		"RESULT project=p variant=goimage scenario=cold seconds=11.000",
		"RESULT project=p variant=goimage scenario=edit seconds=2.000",
		"RESULT project=p variant=goimage scenario=platforms seconds=16.500",
		"RESULT project=p variant=seed004 scenario=edit seconds=4.000",
		"RATIO project=p scenario=edit goimage/seed004=0.500",
		"RATIO project=p scenario=platforms/cold goimage=1.500",
		"RESULT project=p variant=goimage scenario=size bytes=2000",
		"RESULT project=p variant=goimage scenario=binary-layer bytes=1500",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("lines (-got +want):\n%s", diff)
	}
}

// TestRunInterrupted checks that an interrupt ends the run at once with one failure naming
// where it stopped, not a failure per variant left.
func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := Run(ctx, []*Project{{Name: "p"}, {Name: "q"}}, Options{Variants: []string{Goimage, Seed004}})
	if diff := cmp.Diff(r.Failures, []string{"interrupted before p goimage"}); diff != "" {
		t.Errorf("failures (-got +want):\n%s", diff)
	}
	if len(r.Measurements) != 0 {
		t.Errorf("%d measurements from a run interrupted before it began", len(r.Measurements))
	}
}
