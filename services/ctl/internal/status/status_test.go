package status

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/config"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

func settings(t *testing.T) ingest.Settings {
	s, err := config.FromMap[ingest.Settings](map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGatherWhileRunning(t *testing.T) {
	ctx := context.Background()
	set := settings(t)

	// JetStream: 3 messages published, 1 delivered and not acknowledged.
	ns := natstest.RunServer(t)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(ctx, set.StreamConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, set.DeadLetterStreamConfig()); err != nil {
		t.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, set.Stream, set.ConsumerConfig())
	if err != nil {
		t.Fatal(err)
	}
	// A second contract, orders, with one message waiting on its consumer.
	orders := set.ContractTopology("orders")
	if _, err := js.CreateOrUpdateConsumer(ctx, set.Stream, set.ContractConsumerConfig(orders)); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, orders.DataSubject, []byte("x")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := js.Publish(ctx, set.DataSubject(), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := js.Publish(ctx, set.DeadLetterSubject(), []byte("dead")); err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(1)
	if err != nil {
		t.Fatal(err)
	}
	for range batch.Messages() {
	}

	// PostgreSQL: 2 rows loaded just now, 1 row and 1 file rejected.
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO user_activity VALUES ('a', now(), 'view', 1, 1.00, 1, 's', 1), ('b', now(), 'view', 1, 1.00, 1, 's', 1);
		INSERT INTO ingest_ledger (message_id, file_name, stream_seq, rows_loaded) VALUES ('m1', 'f.csv', 1, 2);
		INSERT INTO ingest_ledger (message_id, file_name, stream_seq, rows_loaded, committed_at) VALUES ('m0', 'old.csv', 0, 5, now() - interval '1 hour');
		INSERT INTO user_activity_rejects (file_id, file_name, line_number, reason, raw_line, stream_seq) VALUES ('f', 'f.csv', 2, 'bad', 'x', 1);
		INSERT INTO rejected_files (file_name, reason, stream_seq) VALUES ('g.csv', 'empty', 2);`); err != nil {
		t.Fatal(err)
	}

	// Data directory: 2 files waiting, 1 claimed.
	data := datadir.Config{Dir: t.TempDir()}
	if err := data.Ensure(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"input/a.csv", "input/b.csv", "claimed/w1/c.csv"} {
		path := filepath.Join(data.Dir, p)
		_ = os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"nats":"ok"}`))
	}))
	defer ready.Close()
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"consumer":"consumer not set up yet","nats":"ok","postgres":"connection refused"}`))
	}))
	defer notReady.Close()

	snap := Gather(ctx, Sources{
		Data: data, Settings: set, JetStream: js, Database: pool, HTTP: http.DefaultClient, Now: time.Now,
		Services: []Service{{"watcher", host(ready.URL)}, {"loader", host(notReady.URL)}, {"generator", closedAddr(t)}},
	})

	if snap.Backlog == nil || *snap.Backlog != (datadir.Backlog{Input: 2, Claimed: 1}) {
		t.Errorf("backlog = %+v (%v)", snap.Backlog, snap.BacklogErr)
	}
	if snap.Stream == nil || snap.Stream.Msgs != 4 {
		t.Errorf("stream = %+v (%v), want 4 messages", snap.Stream, snap.StreamErr)
	}
	if c := snap.Consumer; c == nil || c.NumPending != 2 || c.NumAckPending != 1 {
		t.Errorf("consumer = %+v (%v), want 2 pending, 1 ack pending, ack floor 0", c, snap.ConsumerErr)
	}
	if snap.DeadLetters == nil || snap.DeadLetters.Msgs != 1 {
		t.Errorf("dead letters = %+v (%v), want 1", snap.DeadLetters, snap.DeadErr)
	}
	if tb := snap.Tables; tb == nil || tb.Rows != (Count{2, true}) || tb.RowsLastMinute != 2 || tb.MessagesLastMinute != 1 || tb.RejectedRows != (Count{1, true}) || tb.RejectedFiles != (Count{1, true}) || tb.LastCommit == nil {
		t.Errorf("tables = %+v (%v)", tb, snap.TablesErr)
	}
	w, l, g := snap.Services[0], snap.Services[1], snap.Services[2]
	if !w.Ready || w.Err != nil {
		t.Errorf("watcher = %+v, want ready", w)
	}
	if l.Ready || l.Err != nil || strings.Join(l.Failing(), "; ") != "consumer: consumer not set up yet; postgres: connection refused" {
		t.Errorf("loader = %+v, failing %q", l, l.Failing())
	}
	if g.Ready || g.Err == nil || !strings.Contains(g.Err.Error(), "connection refused") {
		t.Errorf("generator = %+v, want unreachable", g)
	}

	var out bytes.Buffer
	if err := Render(&out, snap, set, data.Dir); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"2 waiting in input, 1 claimed",
		"INGEST: 4 messages waiting",
		"contract orders  loader-orders: lag 1 messages (1 not yet delivered, 0 being loaded), ack floor 0",
		"loader: lag 3 messages (2 not yet delivered, 1 being loaded, 0 redelivered), ack floor 0",
		"1 in INGEST_DLQ",
		"2 in the last minute (exact, from the ledger), 2 (exact) in total",
		"rows 1 (exact), files 1 (exact)",
		"≈ 3 min 0 s to clear at the current rate (1 messages committed in the last minute)",
		"NOT READY: consumer: consumer not set up yet; postgres: connection refused",
		"unreachable: connection refused",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
}

func TestGatherWhenEverythingIsDown(t *testing.T) {
	set := settings(t)
	snap := Gather(context.Background(), Sources{
		Data:        datadir.Config{Dir: filepath.Join(t.TempDir(), "missing")},
		Settings:    set,
		NATSErr:     errors.New("NATS unreachable at nats://127.0.0.1:1"),
		DatabaseErr: errors.New("PostgreSQL unreachable at postgres://x"),
		Services:    []Service{{"loader", closedAddr(t)}},
		HTTP:        &http.Client{Timeout: time.Second},
		Now:         time.Now,
	})
	var out bytes.Buffer
	if err := Render(&out, snap, set, "missing"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"files         unknown: open ",
		"stream        unknown: NATS unreachable at nats://127.0.0.1:1",
		"consumer      unknown: NATS unreachable",
		"dead letters  unknown: NATS unreachable",
		"database      unknown: PostgreSQL unreachable at postgres://x",
		"unreachable: connection refused",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCount(t *testing.T) {
	for give, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -5: "-5"} {
		if got := count(give); got != want {
			t.Errorf("count(%d) = %q, want %q", give, got, want)
		}
	}
}

func host(url string) string { return strings.TrimPrefix(url, "http://") }

// closedAddr is an address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
