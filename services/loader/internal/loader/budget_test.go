package loader

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Restarts and outages redeliver a message without it ever failing: its
// delivery count says nothing about its content, so it is loaded.
func TestRedeliveredMessageLoadsWhateverItsDeliveryCount(t *testing.T) {
	m := partMsg('d', 9, 7) // MaxDeliver is 3: delivered 7 times by restarting loaders
	st := &fakeStore{}
	dlq := &fakeDLQ{}
	newTestLoader(st, dlq).handle(context.Background(), msgs(m))
	if m.outcome() != "ack" || len(dlq.sent) != 0 {
		t.Fatalf("settled %q, dead letters %v; want ack and no dead letter", m.outcome(), dlq.sent)
	}
}

// A message the ledger has (committed, then the ack was lost, many times)
// is acknowledged, never dead-lettered.
func TestRedeliveredMessageTheLedgerHasIsAcked(t *testing.T) {
	m := partMsg('d', 9, 7)
	st := &fakeStore{committed: map[string]bool{strings.Repeat("d", 64) + ".1": true}}
	dlq := &fakeDLQ{}
	newTestLoader(st, dlq).handle(context.Background(), msgs(m))
	if m.outcome() != "ack" || len(dlq.sent) != 0 {
		t.Fatalf("settled %q, dead letters %v; want ack and no dead letter", m.outcome(), dlq.sent)
	}
}

// A batch redelivered because one of its messages crashed the loader is
// applied message by message: the others load, the culprit alone is held
// back.
func TestRedeliveredBatchIsAppliedMessageByMessage(t *testing.T) {
	a, p, c := partMsg('a', 1, 4), partMsg('f', 2, 4), partMsg('c', 3, 4)
	st := &fakeStore{poisoned: map[string]bool{strings.Repeat("f", 64) + ".1": true}}
	dlq := &fakeDLQ{}
	newTestLoader(st, dlq).handle(context.Background(), msgs(a, p, c))
	if a.outcome() != "ack" || c.outcome() != "ack" {
		t.Errorf("batch-mates settled %q, %q; want ack", a.outcome(), c.outcome())
	}
	if p.outcome() != "nak-delay" || len(dlq.sent) != 0 {
		t.Errorf("culprit settled %q (dead letters %v); want nak-delay: one failure is within the budget", p.outcome(), dlq.sent)
	}
	for _, b := range st.batches {
		if len(b) != 1 {
			t.Errorf("a redelivered message was applied in batch %v; want each alone", b)
		}
	}
}

// A message whose budget is spent but that the ledger shows committed (its
// acks were lost) is acknowledged, not dead-lettered.
func TestSpentBudgetOfACommittedMessageIsAcked(t *testing.T) {
	id := strings.Repeat("d", 64) + ".1"
	st := &fakeStore{committed: map[string]bool{id: true}}
	dlq := &fakeDLQ{}
	l := newTestLoader(st, dlq)
	l.budget.(*fakeBudget).attempts[id] = 3
	m := partMsg('d', 9, 8)
	l.handle(context.Background(), msgs(m))
	if m.outcome() != "ack" || len(dlq.sent) != 0 {
		t.Fatalf("settled %q, dead letters %v; want ack and no dead letter", m.outcome(), dlq.sent)
	}
	if n := l.budget.(*fakeBudget).count(id); n != 0 {
		t.Errorf("%d attempts still counted for a committed message", n)
	}
}

// PostgreSQL unreachable when the attempt is to be counted: the message is
// held (kept alive), nothing is counted, and it loads once PostgreSQL is
// back; its count is then cleared.
func TestOutageBeforeASoloAttemptCountsNothing(t *testing.T) {
	id := strings.Repeat("d", 64) + ".1"
	st := &fakeStore{}
	l := newTestLoader(st, &fakeDLQ{})
	b := l.budget.(*fakeBudget)
	b.failures = 5
	m := partMsg('d', 9, 6)
	l.handle(context.Background(), msgs(m))
	if m.outcome() != "ack" {
		t.Fatalf("settled %q, want ack after the outage", m.outcome())
	}
	if m.inProgress == 0 {
		t.Error("the message was not kept alive while held")
	}
	if n := b.count(id); n != 0 {
		t.Errorf("%d attempts counted after it loaded", n)
	}
}

// A shutdown while PostgreSQL cannot count the attempt hands the message
// back without counting anything.
func TestShutdownBeforeTheAttemptIsCountedCountsNothing(t *testing.T) {
	id := strings.Repeat("d", 64) + ".1"
	l := newTestLoader(&fakeStore{}, &fakeDLQ{})
	b := l.budget.(*fakeBudget)
	b.failures = 1 << 30
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	m := partMsg('d', 9, 2)
	l.handle(ctx, msgs(m))
	b.failures = 0
	if m.outcome() != "nak" || b.count(id) != 0 {
		t.Fatalf("settled %q with %d attempts counted; want nak and none", m.outcome(), b.count(id))
	}
}

// A shutdown during a solo attempt held by an outage takes the attempt's
// count back: it was no failure of the message.
func TestShutdownDuringASoloAttemptTakesItsCountBack(t *testing.T) {
	id := strings.Repeat("d", 64) + ".1"
	st := &fakeStore{failures: 1 << 30} // the attempt is counted, then PostgreSQL goes away
	l := newTestLoader(st, &fakeDLQ{})
	b := l.budget.(*fakeBudget)
	b.attempts[id] = 1 // one failure before
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	m := partMsg('d', 9, 3)
	l.handle(ctx, msgs(m))
	if m.outcome() != "nak" || b.count(id) != 1 {
		t.Fatalf("settled %q with %d attempts counted; want nak and still 1", m.outcome(), b.count(id))
	}
}
