// Package bundle sends the messages of small files together: a backlog of
// many small files costs one stored message, one fsync with JetStream's
// sync_interval: always, per bundle (see ingest.Bundle) rather than one per
// file. A bundle starts with the first entry waiting and takes whatever else
// of its contract is waiting, up to a count and a size, so nothing waits for
// company: a lone file is sent alone, as it always was.
package bundle

import (
	"context"
	"errors"
	"sync"

	"github.com/tributary-dev/tributary/shared/ingest"
)

// Sender stores entries of a contract as one message (the entry itself when
// alone, a bundle otherwise) and returns once the stream has acknowledged
// it, retrying meanwhile; an error means it gave up (ctx ended).
type Sender interface {
	SendEntries(ctx context.Context, contract string, entries []ingest.Entry) error
}

// Limits bound a bundle.
type Limits struct {
	Entries int // most entries in one message
	// Bytes is the most bytes of a bundle's body (entries with their
	// headers). Asked before each bundle: the server's limit may change
	// when the connection moves to another server.
	Bytes func() int64
}

// ErrStopped is given to entries that were never sent because the bundler
// stopped: their files stay where they are, to be sent on the next start.
var ErrStopped = errors.New("bundler stopped before sending")

// Bundler gathers entries and sends them. Entries of one contract are sent
// in the order they were added.
type Bundler struct {
	send   Sender
	limits Limits

	mu       sync.Mutex
	waiting  []waiting
	bytes    int64         // of waiting
	maxBytes int64         // Limits.Bytes when last asked
	room     chan struct{} // closed (and replaced) whenever waiting shrinks
	stopped  bool
	ready    chan struct{} // holds a token while something waits

	finishing sync.WaitGroup // completions being delivered
}

type waiting struct {
	contract string
	entry    ingest.Entry
	size     int64
	done     func(error)
}

// New returns a Bundler; Run sends what is added.
func New(send Sender, limits Limits) *Bundler {
	return &Bundler{send: send, limits: limits, room: make(chan struct{}), ready: make(chan struct{}, 1)}
}

// Size is what an entry takes in a bundle: its body, and its headers
// with room for their framing.
func Size(e ingest.Entry) int64 {
	n := int64(len(e.Data)) + 32
	for k, vs := range e.Header {
		for _, v := range vs {
			n += int64(len(k) + len(v) + 4)
		}
	}
	return n
}

// Add queues e for sending and returns at once; done is called once with
// nil when the stream has stored it, or with the reason it never will be
// (ErrStopped, or ctx's error). Add waits while twice a bundle's bytes are
// already waiting: the bundle being sent and the next one.
func (b *Bundler) Add(ctx context.Context, contract string, e ingest.Entry, done func(error)) error {
	size := Size(e)
	for {
		b.mu.Lock()
		if b.stopped {
			b.mu.Unlock()
			return ErrStopped
		}
		if b.maxBytes == 0 {
			b.maxBytes = b.limits.Bytes()
		}
		if b.bytes == 0 || b.bytes+size <= 2*b.maxBytes {
			b.waiting = append(b.waiting, waiting{contract: contract, entry: e, size: size, done: done})
			b.bytes += size
			b.mu.Unlock()
			select {
			case b.ready <- struct{}{}:
			default:
			}
			return nil
		}
		room := b.room
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-room:
		}
	}
}

// Run sends bundles until ctx ends, then hands back what was never sent
// and waits for every completion.
func (b *Bundler) Run(ctx context.Context) {
	defer b.finishing.Wait()
	for {
		select {
		case <-ctx.Done():
			b.stop()
			return
		case <-b.ready:
		}
		for {
			contract, batch := b.take()
			if len(batch) == 0 {
				break
			}
			entries := make([]ingest.Entry, len(batch))
			for i, w := range batch {
				entries[i] = w.entry
			}
			err := b.send.SendEntries(ctx, contract, entries)
			// Completions (archiving each file) run beside the next send.
			b.finishing.Go(func() {
				for _, w := range batch {
					w.done(err)
				}
			})
			if ctx.Err() != nil {
				b.stop()
				return
			}
		}
	}
}

// take removes the next bundle from the waiting entries: the oldest
// entry, and after it the entries of its contract that fit.
func (b *Bundler) take() (string, []waiting) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiting) == 0 {
		return "", nil
	}
	b.maxBytes = b.limits.Bytes()
	contract := b.waiting[0].contract
	var (
		batch []waiting
		size  int64
		full  bool
		kept  = b.waiting[:0]
	)
	for _, w := range b.waiting {
		if w.contract == contract && !full {
			if len(batch) == 0 || (len(batch) < b.limits.Entries && size+w.size <= b.maxBytes) {
				batch = append(batch, w)
				size += w.size
				continue
			}
			full = true // the rest of the contract's entries keep their order
		}
		kept = append(kept, w)
	}
	clear(b.waiting[len(kept):])
	b.waiting = kept
	b.bytes -= size
	close(b.room)
	b.room = make(chan struct{})
	return contract, batch
}

// stop refuses further entries and hands back those waiting.
func (b *Bundler) stop() {
	b.mu.Lock()
	b.stopped = true
	left := b.waiting
	b.waiting, b.bytes = nil, 0
	close(b.room)
	b.room = make(chan struct{})
	b.mu.Unlock()
	for _, w := range left {
		w.done(ErrStopped)
	}
}
