package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// median of a non-empty list.
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func (r *Report) find(project, variant, scenario string) (float64, bool) {
	for _, m := range r.Measurements {
		if m.Project == project && m.Variant == variant && m.Scenario == scenario && len(m.Seconds) > 0 {
			return median(m.Seconds), true
		}
	}
	return 0, false
}

func (r *Report) projects() []string {
	var ps []string
	for _, m := range r.Measurements {
		if !slices.Contains(ps, m.Project) {
			ps = append(ps, m.Project)
		}
	}
	return ps
}

// Write prints a table for people, then the machine-readable lines: RESULT per figure,
// RATIO of goimage to every other variant, sizes.
func (r *Report) Write(w io.Writer, opt Options) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "project\tvariant\t%s\timage bytes\t\n", strings.Join(opt.Scenarios, "\t"))
	for _, p := range r.projects() {
		for _, v := range opt.Variants {
			row := []string{p, v}
			for _, s := range opt.Scenarios {
				if secs, ok := r.find(p, v, s); ok {
					row = append(row, fmt.Sprintf("%.2fs", secs))
				} else {
					row = append(row, "-")
				}
			}
			size := "-"
			for _, sz := range r.Sizes {
				if sz.Project == p && sz.Variant == v {
					size = fmt.Sprint(sz.Image)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t\n", strings.Join(row, "\t"), size)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)

	for _, p := range r.projects() {
		for _, v := range opt.Variants {
			for _, s := range opt.Scenarios {
				if secs, ok := r.find(p, v, s); ok {
					fmt.Fprintf(w, "RESULT project=%s variant=%s scenario=%s seconds=%.3f\n", p, v, s, secs)
				}
			}
		}
		for _, s := range opt.Scenarios {
			g, ok := r.find(p, Goimage, s)
			if !ok {
				continue
			}
			for _, v := range opt.Variants {
				if o, ok := r.find(p, v, s); ok && v != Goimage && o > 0 {
					fmt.Fprintf(w, "RATIO project=%s scenario=%s goimage/%s=%.3f\n", p, s, v, g/o)
				}
			}
		}
		// Two platforms against one, each variant against its own cold build.
		for _, v := range opt.Variants {
			two, ok1 := r.find(p, v, Platforms)
			one, ok2 := r.find(p, v, Cold)
			if ok1 && ok2 && one > 0 {
				fmt.Fprintf(w, "RATIO project=%s scenario=platforms/cold %s=%.3f\n", p, v, two/one)
			}
		}
		for _, sz := range r.Sizes {
			if sz.Project == p {
				fmt.Fprintf(w, "RESULT project=%s variant=%s scenario=size bytes=%d\n", p, sz.Variant, sz.Image)
				fmt.Fprintf(w, "RESULT project=%s variant=%s scenario=binary-layer bytes=%d\n", p, sz.Variant, sz.BinaryLayer)
			}
		}
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "FAILED %s\n", f)
	}
}
