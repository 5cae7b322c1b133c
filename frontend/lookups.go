package frontend

import (
	"context"
	"sync"
)

// lookups runs each lookup of a build once, whoever asks first, and gives every caller its
// outcome: a registry round trip that one goroutine starts ahead of the conversion is the
// one the conversion waits for, not a second.
type lookups[T any] struct {
	mu    sync.Mutex
	calls map[string]*lookup[T]
}

// lookup is one lookup; its waiters block on done.
type lookup[T any] struct {
	done chan struct{}
	out  T
}

// do returns the outcome of the lookup named key, running f for the first caller. A caller
// whose ctx ends first gets ctx's cause. f runs under the first caller's context and its
// outcome stands for the build, so callers pass one that lasts the build (Build's, or the
// conversion's, which ends only when the build fails).
func (l *lookups[T]) do(ctx context.Context, key string, f func() T) (T, error) {
	l.mu.Lock()
	c, ok := l.calls[key]
	if !ok {
		if l.calls == nil {
			l.calls = map[string]*lookup[T]{}
		}
		c = &lookup[T]{done: make(chan struct{})}
		l.calls[key] = c
	}
	l.mu.Unlock()
	if !ok {
		c.out = f()
		close(c.done)
	}
	select {
	case <-c.done:
		return c.out, nil
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}
