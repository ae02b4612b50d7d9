package loader

import (
	"context"
	"testing"
	"time"
)

// A batch that committed as the loader began to shut down is acknowledged,
// not handed back.
func TestBatchCommittedAsShutdownBeginsIsAcked(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := partMsg('a', 1, 1)
	st := &fakeStore{onApply: cancel}
	newTestLoader(st, &fakeDLQ{}).handle(ctx, msgs(a))
	if a.outcome() != "ack" {
		t.Fatalf("settled %q, want ack: the batch committed", a.outcome())
	}
}

// A dead letter stored as the loader began to shut down is terminated, or
// the message would be dead-lettered again after a restart.
func TestDeadLetterSentAsShutdownBeginsIsTerminated(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bad := partMsg('x', 4, 3) // its last delivery
	bad.header.Set("Tributary-Part", "nonsense")
	dlq := &fakeDLQ{onSend: cancel}
	newTestLoader(&fakeStore{}, dlq).handle(ctx, msgs(bad))
	if bad.outcome() != "term" || len(dlq.sent) != 1 {
		t.Fatalf("settled %q, dead letters %v; want term after one dead letter", bad.outcome(), dlq.sent)
	}
}

func TestRetryReportsSuccessWhenTheContextEndsMeanwhile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	err := retry(ctx, time.Second, func(error, time.Duration) {}, func() error {
		cancel() // the operation completed as the shutdown began
		return nil
	})
	if err != nil {
		t.Fatalf("retry = %v, want nil: the operation succeeded", err)
	}
}
