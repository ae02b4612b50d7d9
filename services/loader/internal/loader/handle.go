package loader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/logging"
)

// delivery is a message with what the loader learned of it.
type delivery struct {
	msg        jetstream.Msg
	seq        uint64
	deliveries uint64
	decoded    store.Message
}

// handle decodes a fetched batch and applies what decodes.
func (l *Loader) handle(ctx context.Context, msgs []jetstream.Msg) {
	batch := make([]delivery, 0, len(msgs))
	for _, m := range msgs {
		md, err := m.Metadata()
		if err != nil {
			l.log.Error("message without JetStream metadata; terminating it", logging.Err(err))
			_ = m.Term()
			continue
		}
		d := delivery{msg: m, seq: md.Sequence.Stream, deliveries: md.NumDelivered}
		if d.deliveries > 1 {
			l.obs.Redelivered()
		}
		if d.deliveries > uint64(l.cfg.MaxDeliver) {
			// Delivered past its budget without ever failing cleanly: the
			// loader most likely crashed on it. Stop the crash loop.
			l.deadLetter(ctx, d, fmt.Sprintf("delivered %d times without completing; a loader may have crashed while processing it", d.deliveries))
			continue
		}
		if d.decoded, err = l.decode(m, d.seq); err != nil {
			l.failed(ctx, d, err)
			continue
		}
		batch = append(batch, d)
	}
	if len(batch) > 0 {
		l.apply(ctx, batch)
	}
}

func (l *Loader) decode(m jetstream.Msg, seq uint64) (store.Message, error) {
	id := m.Headers().Get(nats.MsgIdHdr)
	switch m.Subject() {
	case l.settings.DataSubject():
		p, err := ingest.ParsePart(m.Headers())
		if err != nil {
			return store.Message{}, fmt.Errorf("malformed part headers: %w", err)
		}
		if id == "" {
			id = p.MsgID()
		}
		return store.Message{ID: id, Seq: seq, Part: &p, Body: m.Data()}, nil
	case l.settings.RejectedSubject():
		r := ingest.ParseRejection(m.Headers())
		if id == "" {
			id = r.MsgID()
		}
		return store.Message{ID: id, Seq: seq, Rejection: &r}, nil
	}
	return store.Message{}, fmt.Errorf("unexpected subject %q", m.Subject())
}

// apply writes batch, retrying while the failure is the environment's, and
// acknowledges only after COMMIT.
func (l *Loader) apply(ctx context.Context, batch []delivery) {
	stop := l.keepAlive(batch)
	defer stop()
	msgs := make([]store.Message, len(batch))
	for i, d := range batch {
		msgs[i] = d.decoded
	}
	start := l.now()
	var out []store.Outcome
	err := retry(ctx, l.cfg.MaxBackoff, func(err error, wait time.Duration) {
		l.obs.Retried()
		l.log.Warn("cannot write batch; holding it and retrying", "messages", len(batch), "retry_in", wait.Round(time.Millisecond), logging.Err(err))
	}, func() error {
		var err error
		out, err = l.store.Apply(ctx, msgs)
		if store.IsData(err) {
			return backoff.Permanent(err)
		}
		return err
	})
	switch {
	case err == nil:
		l.committed(batch, out, l.now().Sub(start))
	case ctx.Err() != nil:
		for _, d := range batch {
			_ = d.msg.Nak() // shutting down: another loader takes them now
		}
	case len(batch) > 1:
		// One message's content was refused: apply each alone, so that
		// only the culprit is held back.
		for i := range batch {
			l.apply(ctx, batch[i:i+1])
		}
	default:
		l.failed(ctx, batch[0], err)
	}
}

func (l *Loader) committed(batch []delivery, out []store.Outcome, took time.Duration) {
	var loaded, rejected, skipped int
	now := l.now()
	for i, d := range batch {
		if err := d.msg.Ack(); err != nil {
			// Committed all the same: a redelivery will find the ledger row.
			l.log.Warn("ack failed after commit", logging.KeyStreamSeq, d.seq, logging.Err(err))
		}
		o := out[i]
		if !o.Applied {
			skipped++
			l.log.Info("message already loaded; acknowledged without loading it again", logging.KeyStreamSeq, d.seq,
				logging.KeyFile, logging.SafeName(d.decoded.FileName()), "message_id", d.decoded.ID)
			continue
		}
		loaded += o.Loaded
		rejected += o.Rejected
		if p := d.decoded.Part; p != nil {
			l.obs.Landed(now.Sub(p.LandedAt))
		}
	}
	l.obs.BatchCommitted(len(batch), loaded, rejected, skipped, took)
	l.log.Info("batch committed", "messages", len(batch), logging.KeyRows, loaded, "rejected", rejected,
		"already_loaded", skipped, logging.KeyTook, took.Round(time.Microsecond))
}

// failed handles a message whose content could not be processed: retried
// later while it has deliveries left, dead-lettered after that.
func (l *Loader) failed(ctx context.Context, d delivery, err error) {
	if d.deliveries >= uint64(l.cfg.MaxDeliver) {
		l.deadLetter(ctx, d, err.Error())
		return
	}
	delay := min(time.Second<<min(d.deliveries-1, 6), time.Minute)
	l.log.Warn("message failed; it will be redelivered", logging.KeyStreamSeq, d.seq, "delivery", d.deliveries,
		"max_deliver", l.cfg.MaxDeliver, "retry_in", delay, logging.Err(err))
	_ = d.msg.NakWithDelay(delay)
}

func (l *Loader) deadLetter(ctx context.Context, d delivery, reason string) {
	err := retry(ctx, l.cfg.MaxBackoff, func(err error, wait time.Duration) {
		l.log.Warn("cannot dead-letter message; retrying", logging.KeyStreamSeq, d.seq, logging.Err(err))
	}, func() error {
		return l.dlq.Send(ctx, d.msg, d.seq, d.deliveries, reason)
	})
	if err != nil {
		return // shutting down: it is redelivered and dead-lettered next time
	}
	if err := d.msg.TermWithReason("dead-lettered"); err != nil {
		l.log.Warn("term failed after dead-lettering", logging.KeyStreamSeq, d.seq, logging.Err(err))
	}
	l.obs.DeadLettered()
	l.log.Error("message dead-lettered", logging.KeyStreamSeq, d.seq, "deliveries", d.deliveries,
		logging.KeyFile, logging.SafeName(d.msg.Headers().Get(ingest.HeaderFileName)), "reason", reason,
		"stream", l.settings.DeadLetterStream())
}

// keepAlive tells JetStream the batch is still being worked on, well within
// AckWait, until stop is called: a long COPY or a database outage must not
// trigger a redelivery to another loader.
func (l *Loader) keepAlive(batch []delivery) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(max(l.cfg.AckWait/3, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, d := range batch {
					_ = d.msg.InProgress()
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// retry runs op with exponential backoff until it succeeds, returns a
// permanent error, or ctx ends. Success wins over the end of ctx: an
// operation that completed (a COMMIT, a dead letter stored) as a shutdown
// began must be settled as done, not handed back.
func retry(ctx context.Context, maxWait time.Duration, notify func(error, time.Duration), op func() error) error {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 100 * time.Millisecond
	bo.MaxInterval = maxWait
	_, err := backoff.Retry(ctx, func() (struct{}, error) { return struct{}{}, op() },
		backoff.WithBackOff(bo), backoff.WithMaxElapsedTime(0), backoff.WithNotify(notify))
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return errors.Join(err, ctx.Err())
	}
	return err
}
