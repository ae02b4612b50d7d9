package loader

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// fakeMsg is a delivered message that records how it was settled.
type fakeMsg struct {
	subject    string
	header     nats.Header
	data       []byte
	seq        uint64
	deliveries uint64

	mu         sync.Mutex
	settled    []string // "ack", "nak", "nak-delay", "term"
	inProgress int
}

var _ jetstream.Msg = (*fakeMsg)(nil)

func (m *fakeMsg) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{Sequence: jetstream.SequencePair{Stream: m.seq}, NumDelivered: m.deliveries}, nil
}
func (m *fakeMsg) Data() []byte                     { return m.data }
func (m *fakeMsg) Headers() nats.Header             { return m.header }
func (m *fakeMsg) Subject() string                  { return m.subject }
func (m *fakeMsg) Reply() string                    { return "" }
func (m *fakeMsg) Ack() error                       { return m.settle("ack") }
func (m *fakeMsg) DoubleAck(context.Context) error  { return m.settle("ack") }
func (m *fakeMsg) Nak() error                       { return m.settle("nak") }
func (m *fakeMsg) NakWithDelay(time.Duration) error { return m.settle("nak-delay") }
func (m *fakeMsg) Term() error                      { return m.settle("term") }
func (m *fakeMsg) TermWithReason(string) error      { return m.settle("term") }
func (m *fakeMsg) InProgress() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inProgress++
	return nil
}

func (m *fakeMsg) settle(how string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.settled = append(m.settled, how)
	return nil
}

func (m *fakeMsg) outcome() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.settled, ",")
}

// partMsg builds a well-formed data message whose file id is made of c.
func partMsg(c byte, seq, deliveries uint64) *fakeMsg {
	p := ingest.Part{FileID: strings.Repeat(string(c), 64), FileName: string(c) + ".csv", Index: 1, Count: 1,
		FirstLine: 2, Rows: 1, LandedAt: time.Unix(1, 0)}
	return &fakeMsg{subject: "ingest.data", header: p.Header(), data: []byte("row\n"), seq: seq, deliveries: deliveries}
}

// fakeStore fails with a data error when a batch holds a poisoned id, and
// with an environment error for the first failures calls.
type fakeStore struct {
	mu        sync.Mutex
	poisoned  map[string]bool
	committed map[string]bool // the ledger has them: applied before, skipped now
	failures  int             // environment failures still to return
	onApply   func()          // runs before each successful apply (e.g. a shutdown beginning)
	onFailure func()          // runs on each environment failure returned
	batches   [][]string
}

func (s *fakeStore) Apply(_ context.Context, msgs []store.Message) ([]store.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	s.batches = append(s.batches, ids)
	if s.failures > 0 {
		s.failures--
		if s.onFailure != nil {
			s.onFailure()
		}
		return nil, io.ErrUnexpectedEOF // a dropped connection
	}
	out := make([]store.Outcome, len(msgs))
	for i, m := range msgs {
		if s.poisoned[m.ID] {
			return nil, &store.DataError{Err: io.ErrShortBuffer}
		}
		if !s.committed[m.ID] {
			out[i] = store.Outcome{Applied: true, Loaded: 1}
		}
	}
	if s.onApply != nil {
		s.onApply()
	}
	return out, nil
}

type fakeDLQ struct {
	mu     sync.Mutex
	sent   []uint64
	ids    []string // Nats-Msg-Id of each dead letter
	err    error    // returned by every Send (JetStream storage full, NATS away)
	onSend func()   // runs before a successful Send
}

func (d *fakeDLQ) Prepare(context.Context) error { return nil }
func (d *fakeDLQ) Send(_ context.Context, _ string, h nats.Header, _ []byte, seq, _ uint64, _ string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	if d.onSend != nil {
		d.onSend()
	}
	d.sent = append(d.sent, seq)
	d.ids = append(d.ids, h.Get(nats.MsgIdHdr))
	return nil
}

// fakeBudget counts attempts in memory; the ledger it asks is the store's.
type fakeBudget struct {
	mu        sync.Mutex
	attempts  map[string]int
	lastError map[string]string
	failures  int // calls still to fail as if PostgreSQL were unreachable
	store     *fakeStore
}

func newFakeBudget(st *fakeStore) *fakeBudget {
	return &fakeBudget{attempts: map[string]int{}, lastError: map[string]string{}, store: st}
}

func (b *fakeBudget) unreachable() bool {
	if b.failures > 0 {
		b.failures--
		return true
	}
	return false
}

func (b *fakeBudget) Begin(_ context.Context, id string) (int, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unreachable() {
		return 0, "", io.ErrUnexpectedEOF
	}
	b.attempts[id]++
	return b.attempts[id], b.lastError[id], nil
}

func (b *fakeBudget) Fail(_ context.Context, id, reason string, begun bool) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unreachable() {
		return 0, io.ErrUnexpectedEOF
	}
	if !begun {
		b.attempts[id]++
	}
	b.lastError[id] = reason
	return b.attempts[id], nil
}

func (b *fakeBudget) Release(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unreachable() {
		return io.ErrUnexpectedEOF
	}
	b.attempts[id] = max(b.attempts[id]-1, 0)
	return nil
}

func (b *fakeBudget) Forget(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.attempts, id)
	delete(b.lastError, id)
	return nil
}

func (b *fakeBudget) Committed(_ context.Context, id string) (bool, error) {
	b.store.mu.Lock()
	defer b.store.mu.Unlock()
	return b.store.committed[id], nil
}

func (b *fakeBudget) count(id string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.attempts[id]
}

// nopObserver drops what it is told, but refuses counts the real metrics
// would refuse: a Prometheus counter panics when asked to decrease.
type nopObserver struct{}

func (nopObserver) BatchCommitted(messages, _, _, skipped int, _ time.Duration) {
	if skipped > messages {
		panic(fmt.Sprintf("a batch of %d messages skipped %d: applied would be negative", messages, skipped))
	}
}
func (nopObserver) Landed(time.Duration) {}
func (nopObserver) Redelivered()         {}
func (nopObserver) Retried()             {}
func (nopObserver) DeadLettered()        {}

// newTestLoader is a loader with a budget of 3 failed attempts, kept by a
// fakeBudget (l.budget) whose ledger is st's.
func newTestLoader(st *fakeStore, dlq DeadLetters) *Loader {
	settings := ingest.Settings{Stream: "INGEST", SubjectPrefix: "ingest", Consumer: "loader"}
	return New(Config{Workers: 1, MaxDeliver: 3, AckWait: 300 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}, settings, Deps{
		Store: st, DeadLetters: dlq, Budget: newFakeBudget(st), Observer: nopObserver{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now,
	})
}
