package loader

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func msgs(ms ...*fakeMsg) []jetstream.Msg {
	out := make([]jetstream.Msg, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

func TestCommittedBatchIsAcked(t *testing.T) {
	st := &fakeStore{}
	a, b := partMsg('a', 1, 1), partMsg('b', 2, 1)
	newTestLoader(st, &fakeDLQ{}).handle(context.Background(), msgs(a, b))
	if a.outcome() != "ack" || b.outcome() != "ack" {
		t.Fatalf("settled %q, %q; want ack, ack", a.outcome(), b.outcome())
	}
	if len(st.batches) != 1 || len(st.batches[0]) != 2 {
		t.Errorf("store saw batches %v, want one of two", st.batches)
	}
}

func TestPoisonIsIsolatedAndTheRestLoads(t *testing.T) {
	a, p, c := partMsg('a', 1, 1), partMsg('f', 2, 1), partMsg('c', 3, 1)
	st := &fakeStore{poisoned: map[string]bool{strings.Repeat("f", 64) + ".1": true}}
	dlq := &fakeDLQ{}
	newTestLoader(st, dlq).handle(context.Background(), msgs(a, p, c))
	if a.outcome() != "ack" || c.outcome() != "ack" {
		t.Errorf("good messages settled %q, %q; want ack", a.outcome(), c.outcome())
	}
	if p.outcome() != "nak-delay" || len(dlq.sent) != 0 {
		t.Errorf("poison on its first delivery settled %q (dlq %v); want nak-delay and no dead letter", p.outcome(), dlq.sent)
	}
	if len(st.batches) != 1+3 || len(st.batches[0]) != 3 {
		t.Errorf("store saw %v; want the batch, then each message alone", st.batches)
	}
}

// Each delivery of a poison message fails and is counted: the third
// failure (MaxDeliver is 3) dead-letters it.
func TestPoisonIsDeadLetteredOnItsThirdFailure(t *testing.T) {
	id := strings.Repeat("f", 64) + ".1"
	st := &fakeStore{poisoned: map[string]bool{id: true}}
	dlq := &fakeDLQ{}
	l := newTestLoader(st, dlq)
	for delivery := uint64(1); delivery <= 3; delivery++ {
		p := partMsg('f', 7, delivery)
		l.handle(context.Background(), msgs(p))
		want := "nak-delay"
		if delivery == 3 {
			want = "term"
		}
		if p.outcome() != want {
			t.Fatalf("delivery %d settled %q, want %s", delivery, p.outcome(), want)
		}
	}
	if len(dlq.sent) != 1 || dlq.sent[0] != 7 {
		t.Fatalf("dead letters %v; want seq 7 once", dlq.sent)
	}
	if n := l.budget.(*fakeBudget).count(id); n != 0 {
		t.Errorf("%d attempts still counted after dead-lettering; want none (a re-drive starts afresh)", n)
	}
}

// A message whose solo attempts crashed the loader MaxDeliver times is
// dead-lettered without being applied again.
func TestMessageThatCrashedTheLoaderIsDeadLetteredWithoutProcessing(t *testing.T) {
	id := strings.Repeat("d", 64) + ".1"
	st := &fakeStore{}
	dlq := &fakeDLQ{}
	l := newTestLoader(st, dlq)
	l.budget.(*fakeBudget).attempts[id] = 3 // three attempts begun, none concluded
	m := partMsg('d', 9, 5)
	l.handle(context.Background(), msgs(m))
	if len(st.batches) != 0 {
		t.Errorf("store was asked to apply %v", st.batches)
	}
	if m.outcome() != "term" || len(dlq.sent) != 1 {
		t.Errorf("settled %q, dead letters %v", m.outcome(), dlq.sent)
	}
}

func TestMalformedHeadersAreRetriedThenDeadLettered(t *testing.T) {
	bad := partMsg('x', 4, 1)
	bad.header.Set("Tributary-Part", "nonsense")
	dlq := &fakeDLQ{}
	l := newTestLoader(&fakeStore{}, dlq)
	l.handle(context.Background(), msgs(bad))
	if bad.outcome() != "nak-delay" {
		t.Fatalf("first delivery settled %q, want nak-delay", bad.outcome())
	}
	last := partMsg('x', 4, 3)
	last.header.Set("Tributary-Part", "nonsense")
	l.handle(context.Background(), msgs(last))
	if last.outcome() != "term" || len(dlq.sent) != 1 {
		t.Fatalf("last delivery settled %q, dead letters %v", last.outcome(), dlq.sent)
	}
}

func TestOutageHoldsTheBatchAndBurnsNoDelivery(t *testing.T) {
	a := partMsg('a', 1, 1)
	st := &fakeStore{failures: 4} // PostgreSQL down for four attempts
	newTestLoader(st, &fakeDLQ{}).handle(context.Background(), msgs(a))
	if a.outcome() != "ack" {
		t.Fatalf("settled %q, want a single ack after the outage", a.outcome())
	}
	if len(st.batches) != 5 {
		t.Errorf("%d attempts, want 5", len(st.batches))
	}
	if a.inProgress == 0 {
		t.Error("no progress was reported while holding the batch")
	}
}

func TestShutdownDuringOutageHandsTheBatchBack(t *testing.T) {
	a := partMsg('a', 1, 1)
	st := &fakeStore{failures: 1 << 30}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	newTestLoader(st, &fakeDLQ{}).handle(ctx, msgs(a))
	if a.outcome() != "nak" {
		t.Fatalf("settled %q, want nak (redeliver to another loader now)", a.outcome())
	}
}

func TestRejectionNoticeIsApplied(t *testing.T) {
	r := &fakeMsg{subject: "ingest.rejected", seq: 5, deliveries: 1}
	r.header = map[string][]string{"Tributary-File-Name": {"x.csv"}, "Tributary-Reason": {"empty"}}
	st := &fakeStore{}
	newTestLoader(st, &fakeDLQ{}).handle(context.Background(), msgs(r))
	if r.outcome() != "ack" || len(st.batches) != 1 {
		t.Fatalf("settled %q, batches %v", r.outcome(), st.batches)
	}
}

func TestUnknownSubjectIsNotLoaded(t *testing.T) {
	m := &fakeMsg{subject: "ingest.other", seq: 6, deliveries: 1, header: map[string][]string{}}
	st := &fakeStore{}
	newTestLoader(st, &fakeDLQ{}).handle(context.Background(), msgs(m))
	if len(st.batches) != 0 || m.outcome() != "nak-delay" {
		t.Fatalf("settled %q, batches %v", m.outcome(), st.batches)
	}
}
