package bundle

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/tributary-dev/tributary/shared/ingest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sender records what it was asked to send; each send waits for a token
// on release when gate is set.
type sender struct {
	mu    sync.Mutex
	sent  [][]string // entry ids per message
	who   []string   // contract per message
	gate  bool
	start chan struct{}
	next  chan error
}

func newSender(gate bool) *sender {
	return &sender{gate: gate, start: make(chan struct{}, 100), next: make(chan error)}
}

func (s *sender) SendEntries(ctx context.Context, contract string, entries []ingest.Entry) error {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.Header.Get(nats.MsgIdHdr)
	}
	s.mu.Lock()
	s.sent, s.who = append(s.sent, ids), append(s.who, contract)
	s.mu.Unlock()
	if !s.gate {
		return nil
	}
	s.start <- struct{}{}
	select {
	case err := <-s.next:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *sender) messages() ([][]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.sent...), append([]string(nil), s.who...)
}

func bytes(n int64) func() int64 { return func() int64 { return n } }

func entry(id string, body int) ingest.Entry {
	return ingest.Entry{Header: nats.Header{nats.MsgIdHdr: []string{id}}, Data: make([]byte, body)}
}

// results collects done calls by entry id.
type results struct {
	mu   sync.Mutex
	errs map[string][]error
	wg   sync.WaitGroup
}

func newResults() *results { return &results{errs: map[string][]error{}} }

func (r *results) done(id string) func(error) {
	r.wg.Add(1)
	return func(err error) {
		r.mu.Lock()
		r.errs[id] = append(r.errs[id], err)
		r.mu.Unlock()
		r.wg.Done()
	}
}

func run(t *testing.T, b *Bundler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() { defer close(finished); b.Run(ctx) }()
	return func() { cancel(); <-finished }
}

func TestEntriesWaitingDuringASendGoTogether(t *testing.T) {
	s := newSender(true)
	b := New(s, Limits{Entries: 100, Bytes: bytes(1 << 20)})
	stop := run(t, b)
	defer stop()
	r := newResults()
	ctx := context.Background()
	if err := b.Add(ctx, "c", entry("a", 10), r.done("a")); err != nil {
		t.Fatal(err)
	}
	<-s.start // "a" is being sent alone: nothing else was waiting
	for _, id := range []string{"b", "c", "d"} {
		if err := b.Add(ctx, "c", entry(id, 10), r.done(id)); err != nil {
			t.Fatal(err)
		}
	}
	s.next <- nil
	<-s.start
	s.next <- nil
	r.wg.Wait()
	sent, _ := s.messages()
	if len(sent) != 2 || len(sent[0]) != 1 || len(sent[1]) != 3 || sent[1][0] != "b" || sent[1][2] != "d" {
		t.Fatalf("sent %v, want [a] then [b c d]", sent)
	}
	for id, errs := range r.errs {
		if len(errs) != 1 || errs[0] != nil {
			t.Errorf("%s: done %v, want once with nil", id, errs)
		}
	}
}

func TestBundlesKeepToTheirLimitsAndContracts(t *testing.T) {
	s := newSender(true)
	b := New(s, Limits{Entries: 3, Bytes: bytes(10 * Size(entry("xx", 100)))}) // ids of two characters
	stop := run(t, b)
	defer stop()
	r := newResults()
	ctx := context.Background()
	if err := b.Add(ctx, "c", entry("first", 100), r.done("first")); err != nil {
		t.Fatal(err)
	}
	<-s.start
	adds := []struct {
		contract string
		id       string
		body     int
	}{
		{"c", "c1", 100}, {"o", "o1", 100}, {"c", "c2", 100}, {"c", "c3", 100}, {"c", "c4", 100},
		{"o", "o2", 1500}, // larger than a bundle: sent alone
		{"o", "o3", 100},
	}
	for _, a := range adds {
		if err := b.Add(ctx, a.contract, entry(a.id, a.body), r.done(a.id)); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		s.next <- nil
		<-s.start
	}
	s.next <- nil
	r.wg.Wait()
	sent, who := s.messages()
	want := [][]string{{"first"}, {"c1", "c2", "c3"}, {"o1"}, {"c4"}, {"o2"}, {"o3"}}
	wantWho := []string{"c", "c", "o", "c", "o", "o"}
	if len(sent) != len(want) {
		t.Fatalf("sent %v to %v, want %v", sent, who, want)
	}
	for i := range want {
		if strconv.Quote(who[i]) != strconv.Quote(wantWho[i]) || len(sent[i]) != len(want[i]) {
			t.Fatalf("sent %v to %v, want %v to %v", sent, who, want, wantWho)
		}
		for j := range want[i] {
			if sent[i][j] != want[i][j] {
				t.Fatalf("sent %v, want %v", sent, want)
			}
		}
	}
}

func TestAddWaitsForRoom(t *testing.T) {
	s := newSender(true)
	limit := Size(entry("wN", 1000)) // the size of each waiting entry
	b := New(s, Limits{Entries: 10, Bytes: bytes(limit)})
	stop := run(t, b)
	defer stop()
	r := newResults()
	ctx := context.Background()
	_ = b.Add(ctx, "c", entry("sending", 1000), r.done("sending"))
	<-s.start
	_ = b.Add(ctx, "c", entry("w1", 1000), r.done("w1"))
	_ = b.Add(ctx, "c", entry("w2", 1000), r.done("w2"))
	added := make(chan error, 1)
	go func() { added <- b.Add(ctx, "c", entry("w3", 1000), r.done("w3")) }()
	select {
	case err := <-added:
		t.Fatalf("Add returned (%v) with twice a bundle's bytes waiting", err)
	case <-time.After(50 * time.Millisecond):
	}
	s.next <- nil // "sending" done; w1 taken: room for w3
	<-s.start
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	// w2 and w3 wait: a further Add waits too, and gives up when its context ends.
	cctx, cancel := context.WithCancel(ctx)
	go func() { added <- b.Add(cctx, "c", entry("w5", 1000), func(error) { t.Error("w5 was queued") }) }()
	cancel()
	if err := <-added; !errors.Is(err, context.Canceled) {
		t.Errorf("Add with an ended context = %v", err)
	}
	for range 2 {
		s.next <- nil
		<-s.start
	}
	s.next <- nil
	r.wg.Wait()
}

// Entries never sent when the bundler stops are handed back; the entry
// being sent gets the sender's error; later Adds are refused.
func TestStopHandsBackWhatWasNotSent(t *testing.T) {
	s := newSender(true)
	b := New(s, Limits{Entries: 1, Bytes: bytes(1 << 20)})
	stop := run(t, b)
	r := newResults()
	ctx := context.Background()
	_ = b.Add(ctx, "c", entry("sending", 10), r.done("sending"))
	<-s.start
	_ = b.Add(ctx, "c", entry("waiting", 10), r.done("waiting"))
	stop()
	r.wg.Wait()
	if errs := r.errs["sending"]; len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("entry being sent: done %v, want the sender's context error", errs)
	}
	if errs := r.errs["waiting"]; len(errs) != 1 || !errors.Is(errs[0], ErrStopped) {
		t.Errorf("waiting entry: done %v, want ErrStopped", errs)
	}
	if err := b.Add(ctx, "c", entry("late", 10), func(error) { t.Error("late entry queued") }); !errors.Is(err, ErrStopped) {
		t.Errorf("Add after stop = %v, want ErrStopped", err)
	}
}

func TestManyAddersEachDoneOnce(t *testing.T) {
	s := newSender(false)
	b := New(s, Limits{Entries: 50, Bytes: bytes(64 << 10)})
	stop := run(t, b)
	r := newResults()
	var adders sync.WaitGroup
	for g := range 8 {
		adders.Go(func() {
			for i := range 500 {
				id := strconv.Itoa(g) + "-" + strconv.Itoa(i)
				if err := b.Add(context.Background(), "c", entry(id, 200), r.done(id)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	adders.Wait()
	r.wg.Wait()
	stop()
	sent, _ := s.messages()
	seen := map[string]bool{}
	for _, m := range sent {
		if len(m) > 50 {
			t.Errorf("a message of %d entries", len(m))
		}
		for _, id := range m {
			if seen[id] {
				t.Errorf("%s sent twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != 4000 || len(r.errs) != 4000 {
		t.Errorf("%d entries sent, %d done, want 4000", len(seen), len(r.errs))
	}
	if len(sent) >= 4000 {
		t.Errorf("%d messages for 4000 entries: nothing was bundled", len(sent))
	}
}
