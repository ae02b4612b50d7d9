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

// handle decodes a fetched batch and applies what decodes. First
// deliveries are applied together, in one transaction; a redelivered
// message is applied alone, with its attempt counted in the budget first
// (see applyAlone), so that a message that crashes the loader takes no
// other message with it.
func (l *Loader) handle(ctx context.Context, msgs []jetstream.Msg) {
	// Every fetched message stays alive until it is settled: those waiting
	// behind a held batch, a solo attempt or a dead letter must not be
	// redelivered meanwhile.
	stop := l.keepAlive(msgs)
	defer stop()
	var first, again []delivery
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
		if d.decoded, err = l.decode(m, d.seq); err != nil {
			l.undecodable(ctx, d, err)
			continue
		}
		if d.deliveries > 1 {
			again = append(again, d)
		} else {
			first = append(first, d)
		}
	}
	if len(first) > 0 {
		l.applyBatch(ctx, first)
	}
	for i, d := range again {
		if ctx.Err() != nil {
			for _, d := range again[i:] {
				_ = d.msg.Nak() // shutting down: another loader takes them now
			}
			return
		}
		l.applyAlone(ctx, d)
	}
}

func (l *Loader) decode(m jetstream.Msg, seq uint64) (store.Message, error) {
	id := m.Headers().Get(nats.MsgIdHdr)
	switch m.Subject() {
	case l.cfg.Contract.DataSubject:
		p, err := ingest.ParsePart(m.Headers())
		if err != nil {
			return store.Message{}, fmt.Errorf("malformed part headers: %w", err)
		}
		if want := l.partContract(); p.Contract != want {
			return store.Message{}, fmt.Errorf("part of contract %q on the subject of contract %q", p.Contract, l.cfg.Contract.Name)
		}
		if id == "" {
			id = p.MsgID()
		}
		return store.Message{ID: id, Seq: seq, Part: &p, Body: m.Data()}, nil
	case l.cfg.Contract.RejectedSubject:
		r := ingest.ParseRejection(m.Headers())
		if id == "" {
			id = r.MsgID()
		}
		return store.Message{ID: id, Seq: seq, Rejection: &r}, nil
	}
	return store.Message{}, fmt.Errorf("unexpected subject %q", m.Subject())
}

// partContract is what the parts of this loader's contract carry in
// Part.Contract: nothing for the default contract.
func (l *Loader) partContract() string {
	if l.cfg.Contract.Name == l.settings.DefaultContract {
		return ""
	}
	return l.cfg.Contract.Name
}

// applyBatch writes a batch of first deliveries and acknowledges it after
// COMMIT. If PostgreSQL refuses one message's content, each is applied
// alone, so that only the culprit is held back.
func (l *Loader) applyBatch(ctx context.Context, batch []delivery) {
	out, took, err := l.applyHeld(ctx, batch)
	switch {
	case err == nil:
		l.committed(batch, out, took)
	case ctx.Err() != nil:
		for _, d := range batch {
			_ = d.msg.Nak() // shutting down: another loader takes them now
		}
	case len(batch) > 1:
		for i := range batch {
			l.applyBatch(ctx, batch[i:i+1])
		}
	default:
		l.failed(ctx, batch[0], err, false)
	}
}

// applyHeld writes batch in one transaction, holding it and retrying while
// the failure is the environment's. It returns a *store.DataError if the
// content was refused, ctx's error if ctx ended first.
func (l *Loader) applyHeld(ctx context.Context, batch []delivery) ([]store.Outcome, time.Duration, error) {
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
	return out, l.now().Sub(start), err
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

// keepAlive tells JetStream the messages are still being worked on, well
// within AckWait, until stop is called: a long COPY, a database outage or a
// dead letter being retried must not trigger a redelivery to another
// loader.
func (l *Loader) keepAlive(msgs []jetstream.Msg) (stop func()) {
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
				for _, m := range msgs {
					_ = m.InProgress() // settled ones refuse it without a word to the server
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
