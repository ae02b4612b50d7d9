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

// delivery is a message with what the loader learned of it. A message
// carries one entry (a file part, a rejection notice), or several when it
// is a bundle of small files (see ingest.Bundle): each entry has its own
// id in the ledger and its own delivery budget, and the message is settled
// once every entry is.
type delivery struct {
	msg        jetstream.Msg
	seq        uint64
	deliveries uint64
	bundleID   string          // the bundle's Nats-Msg-Id; empty for a message of one entry
	entries    []store.Message // decoded
	raw        []ingest.Entry  // each entry's headers and body, as dead-lettered
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
		if err := l.decode(&d); err != nil {
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

// decode reads d's entries: the message itself, or a bundle's.
func (l *Loader) decode(d *delivery) error {
	h := d.msg.Headers()
	d.raw = []ingest.Entry{{Header: h, Data: d.msg.Data()}}
	if ingest.IsBundle(h) {
		if d.msg.Subject() != l.cfg.Contract.DataSubject {
			return fmt.Errorf("bundle on subject %q, not the contract's data subject", d.msg.Subject())
		}
		raw, err := ingest.Unbundle(h, d.msg.Data())
		if err != nil {
			return err
		}
		d.bundleID, d.raw = h.Get(nats.MsgIdHdr), raw
	}
	d.entries = make([]store.Message, len(d.raw))
	for i, e := range d.raw {
		m, err := l.decodeEntry(d.msg.Subject(), e, d.seq)
		if err != nil {
			if d.bundleID != "" {
				return fmt.Errorf("bundle entry %d: %w", i+1, err)
			}
			return err
		}
		if d.bundleID != "" {
			m.Source = ingest.SourceSeq(d.seq, i+1)
		}
		d.entries[i] = m
	}
	return nil
}

func (l *Loader) decodeEntry(subject string, e ingest.Entry, seq uint64) (store.Message, error) {
	id := e.Header.Get(nats.MsgIdHdr)
	switch subject {
	case l.cfg.Contract.DataSubject:
		p, err := ingest.ParsePart(e.Header)
		if err != nil {
			return store.Message{}, fmt.Errorf("malformed part headers: %w", err)
		}
		if want := l.partContract(); p.Contract != want {
			return store.Message{}, fmt.Errorf("part of contract %q on the subject of contract %q", p.Contract, l.cfg.Contract.Name)
		}
		if id == "" {
			id = p.MsgID()
		}
		return store.Message{ID: id, Seq: seq, Part: &p, Body: e.Data}, nil
	case l.cfg.Contract.RejectedSubject:
		r := ingest.ParseRejection(e.Header)
		if id == "" {
			id = r.MsgID()
		}
		return store.Message{ID: id, Seq: seq, Rejection: &r}, nil
	}
	return store.Message{}, fmt.Errorf("unexpected subject %q", subject)
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
// COMMIT. If PostgreSQL refuses one message's content, each message is
// applied alone, then each entry of a bundle alone, so that only the
// culprit is held back.
func (l *Loader) applyBatch(ctx context.Context, batch []delivery) {
	out, took, err := l.applyHeld(ctx, entriesOf(batch))
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
	case len(batch[0].entries) > 1:
		l.settle(batch[0], l.isolate(ctx, batch[0], false))
	default:
		l.settle(batch[0], []verdict{l.failed(ctx, batch[0], 0, err, false)})
	}
}

// isolate applies each entry of d alone, as a first attempt: those the
// ledger has are skipped, a refused one is counted (begun: each entry's
// attempt was counted before).
func (l *Loader) isolate(ctx context.Context, d delivery, begun bool) []verdict {
	verdicts := make([]verdict, len(d.entries))
	for i := range d.entries {
		one := d.only(i)
		out, took, err := l.applyHeld(ctx, one.entries)
		switch {
		case err == nil:
			l.logCommitted([]delivery{one}, out, took)
			verdicts[i] = verdictDone
		case ctx.Err() != nil:
			verdicts[i] = verdictHandBack
		default:
			verdicts[i] = l.failed(ctx, d, i, err, begun)
		}
	}
	return verdicts
}

// applyHeld writes entries in one transaction, holding them and retrying
// while the failure is the environment's. It returns a *store.DataError if
// the content was refused, ctx's error if ctx ended first.
func (l *Loader) applyHeld(ctx context.Context, entries []store.Message) ([]store.Outcome, time.Duration, error) {
	start := l.now()
	var out []store.Outcome
	err := retry(ctx, l.cfg.MaxBackoff, func(err error, wait time.Duration) {
		l.obs.Retried()
		l.log.Warn("cannot write batch; holding it and retrying", "messages", len(entries), "retry_in", wait.Round(time.Millisecond), logging.Err(err))
	}, func() error {
		var err error
		out, err = l.store.Apply(ctx, entries)
		if store.IsData(err) {
			return backoff.Permanent(err)
		}
		return err
	})
	return out, l.now().Sub(start), err
}

// committed acknowledges a committed batch and reports it.
func (l *Loader) committed(batch []delivery, out []store.Outcome, took time.Duration) {
	for _, d := range batch {
		if err := d.msg.Ack(); err != nil {
			// Committed all the same: a redelivery will find the ledger rows.
			l.log.Warn("ack failed after commit", logging.KeyStreamSeq, d.seq, logging.Err(err))
		}
	}
	l.logCommitted(batch, out, took)
}

// logCommitted reports what a committed transaction wrote: out holds an
// outcome per entry of batch, in order.
func (l *Loader) logCommitted(batch []delivery, out []store.Outcome, took time.Duration) {
	var loaded, rejected, skipped, entries int
	now := l.now()
	for _, d := range batch {
		for _, e := range d.entries {
			o := out[entries]
			entries++
			if !o.Applied {
				skipped++
				l.log.Info("message already loaded; acknowledged without loading it again", logging.KeyStreamSeq, d.seq,
					logging.KeyFile, logging.SafeName(e.FileName()), "message_id", e.ID)
				continue
			}
			loaded += o.Loaded
			rejected += o.Rejected
			if p := e.Part; p != nil {
				l.obs.Landed(now.Sub(p.LandedAt))
			}
		}
	}
	l.obs.BatchCommitted(entries, loaded, rejected, skipped, took)
	l.log.Info("batch committed", "messages", len(batch), "files", entries, logging.KeyRows, loaded, "rejected", rejected,
		"already_loaded", skipped, logging.KeyTook, took.Round(time.Microsecond))
}

func entriesOf(batch []delivery) []store.Message {
	if len(batch) == 1 {
		return batch[0].entries
	}
	var out []store.Message
	for _, d := range batch {
		out = append(out, d.entries...)
	}
	return out
}

// only is d reduced to its entry i, for applying and reporting it alone.
func (d delivery) only(i int) delivery {
	d.entries, d.raw = d.entries[i:i+1], d.raw[i:i+1]
	return d
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
