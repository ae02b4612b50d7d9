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

// applyAlone applies a redelivered message by itself. Just before, it
// counts the attempt in the budget: if the loader crashes during it, the
// count stays raised; if PostgreSQL cannot be reached to count it, the
// message is held like any batch during an outage and nothing is counted.
// So the budget counts failures and crashes, never restarts or outages.
func (l *Loader) applyAlone(ctx context.Context, d delivery) {
	id := d.decoded.ID
	var (
		attempts  int
		lastError string
	)
	err := retry(ctx, l.cfg.MaxBackoff, l.holding(d, "record the attempt"), func() error {
		var err error
		attempts, lastError, err = l.budget.Begin(ctx, id)
		return err
	})
	if err != nil {
		_ = d.msg.Nak() // shutting down, nothing counted: another loader takes it now
		return
	}
	if attempts > l.cfg.MaxDeliver {
		reason := lastError
		if reason == "" {
			reason = fmt.Sprintf("%d attempts ended without an outcome; a loader may have crashed while processing it", attempts-1)
		}
		l.deadLetter(ctx, d, reason)
		return
	}
	out, took, err := l.applyHeld(ctx, []delivery{d})
	switch {
	case err == nil:
		l.committed([]delivery{d}, out, took)
		l.forget(ctx, d)
	case ctx.Err() != nil:
		// Handed back without a verdict: take the count back while
		// PostgreSQL still answers (if it does not, the attempt stays
		// counted, as for a crash).
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		if err := l.budget.Release(rctx, id); err != nil {
			l.log.Warn("cannot take back the attempt of a message handed back", logging.KeyStreamSeq, d.seq, logging.Err(err))
		}
		cancel()
		_ = d.msg.Nak()
	default:
		l.failed(ctx, d, err, true)
	}
}

// failed handles a message whose content PostgreSQL refused: the failure
// is counted, and the message retried later while the budget allows,
// dead-lettered after that. begun says whether applyAlone counted it.
func (l *Loader) failed(ctx context.Context, d delivery, cause error, begun bool) {
	var attempts int
	err := retry(ctx, l.cfg.MaxBackoff, l.holding(d, "record the failure"), func() error {
		var err error
		attempts, err = l.budget.Fail(ctx, d.decoded.ID, cause.Error(), begun)
		return err
	})
	if err != nil {
		_ = d.msg.Nak() // shutting down: retried now by another loader
		return
	}
	if attempts >= l.cfg.MaxDeliver {
		l.deadLetter(ctx, d, cause.Error())
		return
	}
	l.retryLater(d, attempts, cause)
}

// undecodable handles a message the loader cannot read (malformed
// headers, an unknown subject). It never reaches PostgreSQL and has no id
// to count by, so JetStream's delivery count is its budget: a restart can
// only bring its dead letter forward, and it holds nothing this loader
// could load.
func (l *Loader) undecodable(ctx context.Context, d delivery, cause error) {
	if d.deliveries >= uint64(l.cfg.MaxDeliver) {
		l.deadLetter(ctx, d, cause.Error())
		return
	}
	l.retryLater(d, int(d.deliveries), cause)
}

func (l *Loader) retryLater(d delivery, failures int, cause error) {
	delay := min(time.Second<<min(max(failures, 1)-1, 6), time.Minute)
	l.log.Warn("message failed; it will be redelivered", logging.KeyStreamSeq, d.seq, "failures", failures,
		"max_deliver", l.cfg.MaxDeliver, "retry_in", delay, logging.Err(cause))
	_ = d.msg.NakWithDelay(delay)
}

// deadLetter moves d to the dead-letter stream and terminates it, unless
// the ledger shows it committed (then it is acknowledged). Storing the
// dead letter is tried for DeadLetterWait at most, with the message kept
// alive: when the dead-letter stream refuses (storage full, NATS away) the
// message is handed back to come round again later, and the worker goes
// on with the rest of its batch.
func (l *Loader) deadLetter(ctx context.Context, d delivery, reason string) {
	id := d.decoded.ID
	if id != "" {
		var committed bool
		err := retry(ctx, l.cfg.MaxBackoff, l.holding(d, "ask the ledger"), func() error {
			var err error
			committed, err = l.budget.Committed(ctx, id)
			return err
		})
		if err != nil {
			_ = d.msg.Nak()
			return
		}
		if committed {
			if err := d.msg.Ack(); err != nil {
				l.log.Warn("ack failed after commit", logging.KeyStreamSeq, d.seq, logging.Err(err))
			}
			l.forget(ctx, d)
			l.log.Info("message already loaded; acknowledged instead of dead-lettering it", logging.KeyStreamSeq, d.seq,
				logging.KeyFile, logging.SafeName(d.decoded.FileName()), "message_id", id)
			return
		}
	}
	sendCtx, cancel := context.WithTimeout(ctx, l.cfg.DeadLetterWait)
	defer cancel()
	err := retry(sendCtx, l.cfg.MaxBackoff, func(err error, wait time.Duration) {
		l.log.Warn("cannot dead-letter message; retrying", logging.KeyStreamSeq, d.seq, logging.Err(err))
	}, func() error {
		return l.dlq.Send(sendCtx, d.msg, d.seq, d.deliveries, reason)
	})
	if err != nil {
		if ctx.Err() != nil {
			_ = d.msg.Nak() // shutting down: dead-lettered by the next loader
			return
		}
		l.log.Warn("cannot dead-letter message; handing it back to try again later", logging.KeyStreamSeq, d.seq,
			"tried_for", l.cfg.DeadLetterWait, "retry_in", l.cfg.MaxBackoff, logging.Err(err))
		_ = d.msg.NakWithDelay(l.cfg.MaxBackoff)
		return
	}
	if err := d.msg.TermWithReason("dead-lettered"); err != nil {
		l.log.Warn("term failed after dead-lettering", logging.KeyStreamSeq, d.seq, logging.Err(err))
	}
	if id != "" {
		l.forget(ctx, d) // a re-driven dead letter starts with a full budget
	}
	l.obs.DeadLettered()
	l.log.Error("message dead-lettered", logging.KeyStreamSeq, d.seq, "deliveries", d.deliveries,
		logging.KeyFile, logging.SafeName(d.msg.Headers().Get(ingest.HeaderFileName)), "reason", reason,
		"stream", l.settings.DeadLetterStream())
}

// forget drops d's count, best effort: a count left behind only costs a
// ledger lookup if the message ever comes back.
func (l *Loader) forget(ctx context.Context, d delivery) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := l.budget.Forget(fctx, d.decoded.ID); err != nil {
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
