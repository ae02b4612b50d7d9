package loader

import (
	"context"
	"fmt"
	"time"

	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/logging"
)

// Budget counts, durably, the attempts at a message that failed or
// crashed; see deadletter.Budget. JetStream's delivery count cannot serve:
// restarts, graceful hand-backs and outages raise it too.
type Budget interface {
	// Begin records that an attempt at id starts and returns the attempts
	// counted, this one included, and why the last failed one failed.
	Begin(ctx context.Context, id string) (attempts int, lastError string, err error)
	// Fail records a failed attempt (begun: already counted by Begin).
	Fail(ctx context.Context, id, reason string, begun bool) (attempts int, err error)
	// Release takes back an attempt that ended without a verdict.
	Release(ctx context.Context, id string) error
	// Forget drops id's count once it committed or was dead-lettered.
	Forget(ctx context.Context, id string) error
	// Committed reports whether the ledger holds id.
	Committed(ctx context.Context, id string) (bool, error)
}

// applyAlone applies a redelivered message by itself, counting the
// attempt in the budget just before: if the loader crashes during it, the
// count stays raised; if PostgreSQL cannot be reached to count it, the
// message is held like any batch during an outage and nothing is counted.
// So the budget counts failures and crashes, never restarts or outages.
//
// A bundle is counted as one while its attempts are within the budget
// (the common redelivery: a loader was killed holding it), its entries
// applied together. Past the budget it crashed the loader every time:
// each entry is then applied alone with a count of its own, so that only
// the entry that crashes is dead-lettered.
func (l *Loader) applyAlone(ctx context.Context, d delivery) {
	if d.bundleID == "" {
		l.settle(d, []verdict{l.attemptAlone(ctx, d, 0)})
		return
	}
	attempts, _, ok := l.begin(ctx, d, d.bundleID)
	if !ok {
		_ = d.msg.Nak() // shutting down, nothing counted: another loader takes it now
		return
	}
	var verdicts []verdict
	if attempts > l.cfg.MaxDeliver {
		l.log.Warn("bundle failed or crashed every attempt; applying its files one by one", logging.KeyStreamSeq, d.seq,
			"files", len(d.entries), "attempts", attempts-1)
		verdicts = make([]verdict, len(d.entries))
		for i := range d.entries {
			verdicts[i] = l.attemptAlone(ctx, d, i)
		}
	} else {
		out, took, err := l.applyHeld(ctx, d.entries)
		switch {
		case err == nil:
			l.logCommitted([]delivery{d}, out, took)
			verdicts = []verdict{verdictDone}
		case ctx.Err() != nil:
			verdicts = []verdict{verdictHandBack}
		default:
			verdicts = l.isolate(ctx, d, false)
		}
	}
	l.endAttempt(ctx, d, d.bundleID, verdicts)
	l.settle(d, verdicts)
}

// attemptAlone applies entry i of d alone, its attempt counted first.
func (l *Loader) attemptAlone(ctx context.Context, d delivery, i int) verdict {
	id := d.entries[i].ID
	attempts, lastError, ok := l.begin(ctx, d, id)
	if !ok {
		return verdictHandBack // shutting down, nothing counted
	}
	if attempts > l.cfg.MaxDeliver {
		reason := lastError
		if reason == "" {
			reason = fmt.Sprintf("%d attempts ended without an outcome; a loader may have crashed while processing it", attempts-1)
		}
		return l.deadLetter(ctx, d, i, reason)
	}
	one := d.only(i)
	out, took, err := l.applyHeld(ctx, one.entries)
	var v verdict
	switch {
	case err == nil:
		l.logCommitted([]delivery{one}, out, took)
		v = verdictDone
	case ctx.Err() != nil:
		v = verdictHandBack
	default:
		return l.failed(ctx, d, i, err, true)
	}
	l.endAttempt(ctx, d, id, []verdict{v})
	return v
}

// begin counts an attempt at id, holding d while PostgreSQL is away; ok is
// false if ctx ended first.
func (l *Loader) begin(ctx context.Context, d delivery, id string) (attempts int, lastError string, ok bool) {
	err := retry(ctx, l.cfg.MaxBackoff, l.holding(d, "record the attempt"), func() error {
		var err error
		attempts, lastError, err = l.budget.Begin(ctx, id)
		return err
	})
	return attempts, lastError, err == nil
}

// endAttempt drops the count of a counted attempt that reached a verdict,
// or takes it back when it was handed back without one (if PostgreSQL does
// not answer, the attempt stays counted, as for a crash).
func (l *Loader) endAttempt(ctx context.Context, d delivery, id string, verdicts []verdict) {
	for _, v := range verdicts {
		if v.kind == handBack {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if err := l.budget.Release(rctx, id); err != nil {
				l.log.Warn("cannot take back the attempt of a message handed back", logging.KeyStreamSeq, d.seq, logging.Err(err))
			}
			return
		}
	}
	l.forget(ctx, d, id)
}

// failed handles an entry whose content PostgreSQL refused: the failure is
// counted, and the entry retried later while the budget allows,
// dead-lettered after that. begun says whether its attempt was counted.
func (l *Loader) failed(ctx context.Context, d delivery, i int, cause error, begun bool) verdict {
	var attempts int
	err := retry(ctx, l.cfg.MaxBackoff, l.holding(d, "record the failure"), func() error {
		var err error
		attempts, err = l.budget.Fail(ctx, d.entries[i].ID, cause.Error(), begun)
		return err
	})
	if err != nil {
		return verdictHandBack // shutting down: retried now by another loader
	}
	if attempts >= l.cfg.MaxDeliver {
		return l.deadLetter(ctx, d, i, cause.Error())
	}
	return l.retryLater(d, i, attempts, cause)
}

// undecodable handles a message the loader cannot read (malformed
// headers, a damaged bundle, an unknown subject). It never reaches
// PostgreSQL and has no id to count by, so JetStream's delivery count is
// its budget: a restart can only bring its dead letter forward, and it
// holds nothing this loader could load. It is dead-lettered whole.
func (l *Loader) undecodable(ctx context.Context, d delivery, cause error) {
	d.bundleID, d.entries = "", nil
	d.raw = []ingest.Entry{{Header: d.msg.Headers(), Data: d.msg.Data()}}
	if d.deliveries >= uint64(l.cfg.MaxDeliver) {
		l.settle(d, []verdict{l.deadLetter(ctx, d, 0, cause.Error())})
		return
	}
	l.settle(d, []verdict{l.retryLater(d, 0, int(d.deliveries), cause)})
}

func (l *Loader) retryLater(d delivery, i, failures int, cause error) verdict {
	delay := min(time.Second<<min(max(failures, 1)-1, 6), time.Minute)
	l.log.Warn("message failed; it will be redelivered", logging.KeyStreamSeq, d.seq, logging.KeyFile, logging.SafeName(entryName(d, i)),
		"failures", failures, "max_deliver", l.cfg.MaxDeliver, "retry_in", delay, logging.Err(cause))
	return verdictRetry(delay)
}

// deadLetter stores entry i of d in the dead-letter stream, as the message
// it would have been alone, unless the ledger shows it committed. Storing
// the dead letter is tried for DeadLetterWait at most, with the message
// kept alive: when the dead-letter stream refuses (storage full, NATS
// away) the message is handed back to come round again later, and the
// worker goes on with the rest of its batch.
func (l *Loader) deadLetter(ctx context.Context, d delivery, i int, reason string) verdict {
	id := ""
	if d.entries != nil {
		id = d.entries[i].ID
	}
	if id != "" {
		var committed bool
		err := retry(ctx, l.cfg.MaxBackoff, l.holding(d, "ask the ledger"), func() error {
			var err error
			committed, err = l.budget.Committed(ctx, id)
			return err
		})
		if err != nil {
			return verdictHandBack
		}
		if committed {
			l.forget(ctx, d, id)
			l.log.Info("message already loaded; acknowledged instead of dead-lettering it", logging.KeyStreamSeq, d.seq,
				logging.KeyFile, logging.SafeName(entryName(d, i)), "message_id", id)
			return verdictDone
		}
	}
	sendCtx, cancel := context.WithTimeout(ctx, l.cfg.DeadLetterWait)
	defer cancel()
	e := d.raw[i]
	err := retry(sendCtx, l.cfg.MaxBackoff, func(err error, wait time.Duration) {
		l.log.Warn("cannot dead-letter message; retrying", logging.KeyStreamSeq, d.seq, logging.Err(err))
	}, func() error {
		return l.dlq.Send(sendCtx, d.msg.Subject(), e.Header, e.Data, d.seq, d.deliveries, reason)
	})
	if err != nil {
		if ctx.Err() != nil {
			return verdictHandBack // shutting down: dead-lettered by the next loader
		}
		l.log.Warn("cannot dead-letter message; handing it back to try again later", logging.KeyStreamSeq, d.seq,
			"tried_for", l.cfg.DeadLetterWait, "retry_in", l.cfg.MaxBackoff, logging.Err(err))
		return verdictRetry(l.cfg.MaxBackoff)
	}
	if id != "" {
		l.forget(ctx, d, id) // a re-driven dead letter starts with a full budget
	}
	l.obs.DeadLettered()
	l.log.Error("message dead-lettered", logging.KeyStreamSeq, d.seq, "deliveries", d.deliveries,
		logging.KeyFile, logging.SafeName(entryName(d, i)), "reason", reason, "stream", l.settings.DeadLetterStream())
	return verdictDead
}

// entryName is the file entry i of d belongs to, as its headers say.
func entryName(d delivery, i int) string {
	return ingest.DecodeName(d.raw[i].Header.Get(ingest.HeaderFileName))
}

// forget drops id's count, best effort: a count left behind only costs a
// ledger lookup if the message ever comes back.
func (l *Loader) forget(ctx context.Context, d delivery, id string) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := l.budget.Forget(fctx, id); err != nil {
		l.log.Warn("cannot clear the attempts of a settled message", logging.KeyStreamSeq, d.seq, logging.Err(err))
	}
}

// holding logs and counts a retry of a PostgreSQL step while d is held.
func (l *Loader) holding(d delivery, what string) func(error, time.Duration) {
	return func(err error, wait time.Duration) {
		l.obs.Retried()
		l.log.Warn("cannot reach PostgreSQL for the delivery budget; holding the message and retrying", "step", what,
			logging.KeyStreamSeq, d.seq, "retry_in", wait.Round(time.Millisecond), logging.Err(err))
	}
}
