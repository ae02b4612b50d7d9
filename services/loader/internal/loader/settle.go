package loader

import (
	"time"

	"github.com/tributary-dev/tributary/shared/logging"
)

// verdict is what became of one entry of a message.
type verdict struct {
	kind    verdictKind
	retryIn time.Duration // of verdictRetry
}

type verdictKind int

const (
	done       verdictKind = iota // committed (now or before)
	dead                          // stored in the dead-letter stream
	retryLater                    // to be tried again after retryIn
	handBack                      // no verdict: shutting down, or PostgreSQL unreachable
)

var (
	verdictDone     = verdict{kind: done}
	verdictDead     = verdict{kind: dead}
	verdictHandBack = verdict{kind: handBack}
)

func verdictRetry(in time.Duration) verdict { return verdict{kind: retryLater, retryIn: in} }

// settle acknowledges d once every entry is done or dead-lettered. An entry
// to retry brings the whole message back (after the shortest delay asked):
// the entries committed meanwhile are then skipped by the ledger. A message
// of one entry that was dead-lettered is terminated, as JetStream expects.
func (l *Loader) settle(d delivery, verdicts []verdict) {
	retryIn, deadLetters := time.Duration(-1), 0
	for _, v := range verdicts {
		switch v.kind {
		case handBack:
			_ = d.msg.Nak() // another loader takes it now
			return
		case retryLater:
			if retryIn < 0 || v.retryIn < retryIn {
				retryIn = v.retryIn
			}
		case dead:
			deadLetters++
		}
	}
	var err error
	switch {
	case retryIn >= 0:
		err = d.msg.NakWithDelay(retryIn)
	case deadLetters == len(verdicts) && d.bundleID == "":
		if err = d.msg.TermWithReason("dead-lettered"); err != nil {
			l.log.Warn("term failed after dead-lettering", logging.KeyStreamSeq, d.seq, logging.Err(err))
		}
		return
	default:
		err = d.msg.Ack()
	}
	if err != nil {
		l.log.Warn("cannot settle message; it will be redelivered and its committed entries skipped", logging.KeyStreamSeq, d.seq, logging.Err(err))
	}
}
