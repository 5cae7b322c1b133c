package llb

// pending is a value a goroutine works out while the conversion goes on, such as a registry
// round trip started as soon as its inputs are known and waited for only where the graph
// needs its outcome. The converter runs on one goroutine, so get needs no lock.
type pending[T any] struct {
	ch   chan T
	v    T
	done bool
}

// startPending runs f in a goroutine of its own.
func startPending[T any](f func() T) *pending[T] {
	p := &pending[T]{ch: make(chan T, 1)}
	go func() { p.ch <- f() }()
	return p
}

// get waits for f's outcome; a nil pending, never started, gives T's zero value.
func (p *pending[T]) get() T {
	if p == nil {
		var zero T
		return zero
	}
	if !p.done {
		p.v, p.done = <-p.ch, true
	}
	return p.v
}
