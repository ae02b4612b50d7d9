// Package fetch pulls micro-batches from the loader's durable consumer.
// A batch starts with the first message to arrive (no waiting when the
// stream is busy, no latency added when it is quiet) and grows with what is
// already available, up to limits on messages, rows and bytes.
package fetch

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// Consumer is the part of jetstream.Consumer the fetcher uses.
type Consumer interface {
	Fetch(batch int, opts ...jetstream.FetchOpt) (jetstream.MessageBatch, error)
	FetchNoWait(batch int) (jetstream.MessageBatch, error)
}

// Limits bound a batch. Rows are counted from the watcher's row-count
// header; a batch may overshoot Rows or Bytes by one message at most.
type Limits struct {
	Messages int
	Rows     int
	Bytes    int
	Linger   time.Duration // extra wait for more messages once one arrived; 0 takes what is there
	Poll     time.Duration // how long one pull waits when the stream is empty
}

// Fetcher pulls batches.
type Fetcher struct {
	cons   Consumer
	limits Limits
}

// New returns a Fetcher.
func New(cons Consumer, limits Limits) *Fetcher { return &Fetcher{cons: cons, limits: limits} }

// Next blocks until at least one message arrives or ctx ends.
func (f *Fetcher) Next(ctx context.Context) ([]jetstream.Msg, error) {
	var batch []jetstream.Msg
	for len(batch) == 0 {
		pollCtx, cancel := context.WithTimeout(ctx, f.limits.Poll)
		mb, err := f.cons.Fetch(1, jetstream.FetchContext(pollCtx))
		if err == nil {
			batch, err = drain(mb)
		}
		cancel()
		if ctx.Err() != nil {
			return batch, ctx.Err() // the caller leaves these for redelivery
		}
		if err != nil && !isEmpty(err) {
			return batch, err
		}
	}
	rows, size := count(batch)
	for len(batch) < f.limits.Messages && rows < f.limits.Rows && size < f.limits.Bytes {
		want := f.limits.Messages - len(batch)
		// Guess from what has arrived how many more fit the row and byte limits.
		want = min(want, ceilDiv(f.limits.Rows-rows, max(1, rows/len(batch))), ceilDiv(f.limits.Bytes-size, max(1, size/len(batch))))
		var (
			mb  jetstream.MessageBatch
			err error
		)
		if f.limits.Linger > 0 {
			mb, err = f.cons.Fetch(want, jetstream.FetchMaxWait(f.limits.Linger))
		} else {
			mb, err = f.cons.FetchNoWait(want)
		}
		if err != nil {
			break // keep what we have; the next Next reports a lasting problem
		}
		more, _ := drain(mb)
		if len(more) == 0 {
			break
		}
		batch = append(batch, more...)
		r, s := count(more)
		rows, size = rows+r, size+s
	}
	return batch, nil
}

// drain reads a fetch to its end: a fetch can end early, with an error,
// after delivering part of a batch, and those messages must not be dropped.
func drain(mb jetstream.MessageBatch) ([]jetstream.Msg, error) {
	var out []jetstream.Msg
	for m := range mb.Messages() {
		out = append(out, m)
	}
	return out, mb.Error()
}

func count(msgs []jetstream.Msg) (rows, size int) {
	for _, m := range msgs {
		n, err := strconv.Atoi(m.Headers().Get(ingest.HeaderRows))
		if err != nil || n < 1 {
			n = 1
		}
		rows += n
		size += len(m.Data())
	}
	return rows, size
}

func isEmpty(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages)
}

func ceilDiv(a, b int) int { return max(1, (a+b-1)/b) }
