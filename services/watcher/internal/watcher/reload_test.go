package watcher

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/services/watcher/internal/contractdir"
	"github.com/tributary-dev/tributary/services/watcher/internal/contracttest"
	"github.com/tributary-dev/tributary/services/watcher/internal/publish"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
)

// syncBuffer is a log sink several goroutines may write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) contains(sub string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Contains(s.b.String(), sub)
}

// streamOf starts a NATS server and a real publisher on it.
func streamOf(t *testing.T) (*publish.Publisher, jetstream.Stream) {
	t.Helper()
	nc, err := nats.Connect(natstest.RunServer(t).ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s := ingest.Settings{Stream: "INGEST", SubjectPrefix: "ingest", Consumer: "loader", DefaultContract: "user_activity",
		MaxBytes: 1 << 24, Replicas: 1, DuplicateWindow: time.Minute}
	pub := publish.New(js, s, slog.New(slog.DiscardHandler), nopObserver{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pub.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, "INGEST")
	if err != nil {
		t.Fatal(err)
	}
	return pub, stream
}

// subjects counts the stream's messages by subject.
func subjects(t *testing.T, stream jetstream.Stream) map[string]uint64 {
	t.Helper()
	info, err := stream.Info(context.Background(), jetstream.WithSubjectFilter(">"))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects
}

// A contract declared while the watcher runs routes the next file of its
// name to its subject; an edit that breaks it leaves it routing.
func TestContractsReloadWhileTheWatcherRuns(t *testing.T) {
	pub, stream := streamOf(t)
	dir := contracttest.Dir(t, nil)
	var logs syncBuffer
	cs, err := contractdir.Open(dir, 10*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)), nopObserver{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reloading := make(chan error, 1)
	go func() { reloading <- cs.Run(ctx) }()
	defer func() { cancel(); <-reloading }()
	dirs := testDirs(t)
	r := startWatcherWith(t, dirs, "w1", cs, pub, time.Now)
	want := func(what string, counts map[string]uint64) {
		t.Helper()
		if !poll(func() bool {
			got := subjects(t, stream)
			for subject, n := range counts {
				if got[subject] != n {
					return false
				}
			}
			return len(got) == len(counts)
		}) {
			t.Fatalf("%s: the stream holds %v, want %v", what, subjects(t, stream), counts)
		}
	}

	land(t, dirs, "events-1.csv", goodCSV)
	want("before orders is declared", map[string]uint64{"ingest.data": 1})

	contracttest.Write(t, dir, "orders.yaml", ordersYAML)
	if !poll(func() bool { return logs.contains(`msg="contracts reloaded"`) }) {
		t.Fatal("orders.yaml was not loaded")
	}
	land(t, dirs, "orders-1.csv", ordersCSV)
	want("orders declared", map[string]uint64{"ingest.data": 1, "ingest.data.orders": 1})
	m, err := stream.GetLastMsgForSubject(context.Background(), "ingest.data.orders")
	if err != nil {
		t.Fatal(err)
	}
	if part, err := ingest.ParsePart(m.Header); err != nil || part.Contract != "orders" || part.Columns != `sku,"qty"` || part.FileName != "orders-1.csv" {
		t.Errorf("orders-1.csv published as %+v (%v)", part, err)
	}

	contracttest.Write(t, dir, "orders.yaml", "table: orders\nfiles: \"orders-*.csv\"\nheader: sideways\n")
	if !poll(func() bool { return logs.contains("keeping its last valid version") }) {
		t.Fatal("the broken orders.yaml was not reloaded")
	}
	land(t, dirs, "orders-2.csv", ordersCSV+"z,3\r\n")
	want("orders broken", map[string]uint64{"ingest.data": 1, "ingest.data.orders": 2})
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}
