package frontend

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLookupsOnce checks that callers asking for one key share one run of the lookup, that a
// caller whose context ends stops waiting with its cause while the others get the outcome,
// and that another key runs a lookup of its own.
func TestLookupsOnce(t *testing.T) {
	var l lookups[int]
	var runs atomic.Int32
	release := make(chan struct{})
	slow := func() int {
		runs.Add(1)
		<-release
		return 42
	}
	var wg sync.WaitGroup
	got := make([]int, 8)
	errs := make([]error, len(got))
	ask := func(i int) {
		defer wg.Done()
		got[i], errs[i] = l.do(context.Background(), "golang:1.26 linux/amd64", slow)
	}
	wg.Add(1)
	go ask(0)
	for deadline := time.Now().Add(5 * time.Second); runs.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first caller did not start the lookup")
		}
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("the build ended")
	cancel(stop)
	if _, err := l.do(ctx, "golang:1.26 linux/amd64", slow); !errors.Is(err, stop) {
		t.Errorf("a caller whose context ended got %v, want %v", err, stop)
	}
	for i := 1; i < len(got); i++ {
		wg.Add(1)
		go ask(i)
	}
	close(release)
	wg.Wait()
	for i := range got {
		if got[i] != 42 || errs[i] != nil {
			t.Errorf("caller %d got %d, %v, want 42, nil", i, got[i], errs[i])
		}
	}
	if v, err := l.do(context.Background(), "golang:1.26 linux/arm64", func() int { runs.Add(1); return 7 }); v != 7 || err != nil {
		t.Errorf("another key got %d, %v, want 7, nil", v, err)
	}
	if n := runs.Load(); n != 2 {
		t.Errorf("the lookups ran %d times, want 2 (once for each key)", n)
	}
}
