package loader

import (
	"context"
	"errors"
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
