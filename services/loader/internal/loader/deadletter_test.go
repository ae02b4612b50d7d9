package loader

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// While the dead-letter stream refuses (JetStream storage full) the worker
// gives up after a bounded time, hands the message back for later and goes
// on with the rest of its batch.
func TestDeadLetterThatCannotBeStoredIsHandedBackAndTheBatchGoesOn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	bad := partMsg('x', 4, 3) // its last delivery: dead-lettered now
	bad.header.Set("Tributary-Part", "nonsense")
	good := partMsg('e', 5, 1)
	dlq := &fakeDLQ{err: errors.New("nats: insufficient storage resources")}
	newTestLoader(&fakeStore{}, dlq).handle(ctx, msgs(bad, good))
	if ctx.Err() != nil {
		t.Fatal("the worker was stuck on the dead letter until its context ended")
	}
	if bad.outcome() != "nak-delay" || good.outcome() != "ack" {
		t.Errorf("settled %q, %q; want nak-delay (dead-lettered later) and ack", bad.outcome(), good.outcome())
	}
	if bad.inProgress == 0 {
		t.Error("the message was not kept alive while the dead letter was retried")
	}
}

// Two messages whose budget is spent, with the dead-letter stream full:
// each is handed back after a bounded time, and the message behind them
// loads.
func TestTwoDeadLettersThatCannotBeStoredDoNotStopTheWorker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st := &fakeStore{}
	l := newTestLoader(st, &fakeDLQ{err: errors.New("nats: insufficient storage resources")})
	a, b, good := partMsg('a', 1, 6), partMsg('b', 2, 6), partMsg('c', 3, 6)
	for _, id := range []string{strings.Repeat("a", 64) + ".1", strings.Repeat("b", 64) + ".1"} {
		l.budget.(*fakeBudget).attempts[id] = 3
	}
	l.handle(ctx, msgs(a, b, good))
	if ctx.Err() != nil {
		t.Fatal("the worker was stuck on the dead letters until its context ended")
	}
	if a.outcome() != "nak-delay" || b.outcome() != "nak-delay" || good.outcome() != "ack" {
		t.Errorf("settled %q, %q, %q; want nak-delay, nak-delay, ack", a.outcome(), b.outcome(), good.outcome())
	}
}
