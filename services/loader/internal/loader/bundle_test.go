package loader

import (
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// bundleMsg builds a bundle of the parts whose file ids are made of cs.
func bundleMsg(t *testing.T, seq, deliveries uint64, cs ...byte) *fakeMsg {
	t.Helper()
	var entries []ingest.Entry
	for _, c := range cs {
		p := partMsg(c, seq, deliveries)
		entries = append(entries, ingest.Entry{Header: p.header, Data: p.data})
	}
	m, err := ingest.Bundle("ingest.data", entries)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeMsg{subject: m.Subject, header: m.Header, data: m.Data, seq: seq, deliveries: deliveries}
}

func partID(c byte) string { return strings.Repeat(string(c), 64) + ".1" }

func TestBundleLoadsInOneTransactionWithItsBatch(t *testing.T) {
	st := &fakeStore{}
	b, c := bundleMsg(t, 1, 1, 'a', 'b', 'c'), partMsg('d', 2, 1)
	newTestLoader(st, &fakeDLQ{}).handle(context.Background(), msgs(b, c))
	if b.outcome() != "ack" || c.outcome() != "ack" {
		t.Fatalf("settled %q, %q; want ack, ack", b.outcome(), c.outcome())
	}
	want := []string{partID('a'), partID('b'), partID('c'), partID('d')}
	if len(st.batches) != 1 || strings.Join(st.batches[0], " ") != strings.Join(want, " ") {
		t.Errorf("store saw %v, want one batch of each file's part: %v", st.batches, want)
	}
}

// A poisoned file in a bundle holds back only itself: the others load, each
// alone, and the bundle comes back for the poisoned one, whose third failure
// dead-letters it as the message it would have been alone; the bundle is
// then acknowledged.
func TestPoisonInABundleIsDeadLetteredAloneAndTheRestLoads(t *testing.T) {
	st := &fakeStore{poisoned: map[string]bool{partID('f'): true}}
	dlq := &fakeDLQ{}
	l := newTestLoader(st, dlq)
	for delivery := uint64(1); delivery <= 3; delivery++ {
		b := bundleMsg(t, 7, delivery, 'a', 'f', 'c')
		l.handle(context.Background(), msgs(b))
		want := "nak-delay"
		if delivery == 3 {
			want = "ack"
		}
		if b.outcome() != want {
			t.Fatalf("delivery %d settled %q, want %s", delivery, b.outcome(), want)
		}
		if delivery == 1 {
			batches := st.batches
			if len(batches) != 4 || len(batches[0]) != 3 || batches[2][0] != partID('f') {
				t.Fatalf("first delivery: store saw %v, want the bundle, then each file alone", batches)
			}
		}
	}
	if len(dlq.sent) != 1 || dlq.sent[0] != 7 || dlq.ids[0] != partID('f') {
		t.Fatalf("dead letters %v %v; want the poisoned file's part (its own id), from seq 7", dlq.sent, dlq.ids)
	}
	budget := l.budget.(*fakeBudget)
	if n := budget.count(partID('f')); n != 0 {
		t.Errorf("%d attempts still counted after dead-lettering; want none (a re-drive starts afresh)", n)
	}
	if n := len(budget.attempts); n != 0 {
		t.Errorf("counts left behind: %v", budget.attempts)
	}
}

// A bundle redelivered after its attempts crashed the loader MaxDeliver
// times is taken apart: each file applied alone with its own count, so
// that only the one that crashes would be dead-lettered.
func TestBundleThatCrashedTheLoaderIsAppliedFileByFile(t *testing.T) {
	st := &fakeStore{}
	dlq := &fakeDLQ{}
	l := newTestLoader(st, dlq)
	b := bundleMsg(t, 9, 5, 'a', 'd', 'c')
	budget := l.budget.(*fakeBudget)
	budget.attempts[b.header.Get(nats.MsgIdHdr)] = 3 // three attempts begun, none concluded
	budget.attempts[partID('d')] = 3                 // 'd' crashed the loader three times alone
	l.handle(context.Background(), msgs(b))
	if b.outcome() != "ack" {
		t.Fatalf("settled %q, want ack", b.outcome())
	}
	if len(st.batches) != 2 || st.batches[0][0] != partID('a') || st.batches[1][0] != partID('c') {
		t.Errorf("store saw %v, want a then c alone (d never applied again)", st.batches)
	}
	if len(dlq.ids) != 1 || dlq.ids[0] != partID('d') {
		t.Errorf("dead letters %v, want d's part", dlq.ids)
	}
	if len(budget.attempts) != 0 {
		t.Errorf("counts left behind: %v", budget.attempts)
	}
}

// A redelivered bundle within its budget loads in one transaction, its
// attempt counted, then forgotten.
func TestRedeliveredBundleLoadsWhole(t *testing.T) {
	st := &fakeStore{committed: map[string]bool{partID('a'): true}}
	l := newTestLoader(st, &fakeDLQ{})
	b := bundleMsg(t, 3, 2, 'a', 'b')
	l.handle(context.Background(), msgs(b))
	if b.outcome() != "ack" || len(st.batches) != 1 || len(st.batches[0]) != 2 {
		t.Fatalf("settled %q, store saw %v; want ack after one batch of both", b.outcome(), st.batches)
	}
	if n := len(l.budget.(*fakeBudget).attempts); n != 0 {
		t.Errorf("counts left behind: %v", l.budget.(*fakeBudget).attempts)
	}
}

// A bundle whose framing is damaged cannot be read at all: it is retried on
// JetStream's delivery count and dead-lettered whole.
func TestDamagedBundleIsDeadLetteredWhole(t *testing.T) {
	dlq := &fakeDLQ{}
	l := newTestLoader(&fakeStore{}, dlq)
	for delivery := uint64(1); delivery <= 3; delivery++ {
		b := bundleMsg(t, 4, delivery, 'a', 'b')
		b.data = b.data[:len(b.data)-3]
		l.handle(context.Background(), msgs(b))
		want := "nak-delay"
		if delivery == 3 {
			want = "term"
		}
		if b.outcome() != want {
			t.Fatalf("delivery %d settled %q, want %s", delivery, b.outcome(), want)
		}
	}
	if len(dlq.ids) != 1 || !strings.HasPrefix(dlq.ids[0], "bundle.") {
		t.Fatalf("dead letters %v, want the bundle itself", dlq.ids)
	}
}

func TestShutdownWhileABundleIsHeldHandsItBack(t *testing.T) {
	st := &fakeStore{failures: 1 << 30}
	ctx, cancel := context.WithCancel(context.Background())
	st.onFailure = cancel
	b := bundleMsg(t, 1, 2, 'a', 'b')
	l := newTestLoader(st, &fakeDLQ{})
	l.handle(ctx, msgs(b))
	if b.outcome() != "nak" {
		t.Fatalf("settled %q, want nak", b.outcome())
	}
	if n := l.budget.(*fakeBudget).count(b.header.Get(nats.MsgIdHdr)); n != 0 {
		t.Errorf("the attempt stayed counted (%d): a hand-back must take it back", n)
	}
}

// A bundle sent again in other company (its watcher could not archive its
// files) holds files the ledger has: they are skipped, and counted so, as
// files, not as the one message that carried them.
func TestBundleOfFilesLoadedBeforeIsAckedAndCounted(t *testing.T) {
	st := &fakeStore{committed: map[string]bool{partID('a'): true, partID('b'): true}}
	b := bundleMsg(t, 5, 1, 'a', 'b', 'c')
	newTestLoader(st, &fakeDLQ{}).handle(context.Background(), msgs(b))
	if b.outcome() != "ack" {
		t.Fatalf("settled %q, want ack", b.outcome())
	}
}
