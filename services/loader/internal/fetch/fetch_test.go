package fetch_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/services/loader/internal/fetch"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
)

func setup(t *testing.T) (jetstream.JetStream, jetstream.Consumer) {
	srv := natstest.RunServer(t)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	s := ingest.Settings{Stream: "INGEST", SubjectPrefix: "ingest", MaxBytes: 1 << 30, Replicas: 1, DuplicateWindow: time.Minute,
		Consumer: "loader", AckWait: 30 * time.Second, MaxDeliver: 5, MaxAckPending: 1000}
	if _, err := js.CreateOrUpdateStream(ctx, s.StreamConfig()); err != nil {
		t.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, s.Stream, s.ConsumerConfig())
	if err != nil {
		t.Fatal(err)
	}
	return js, cons
}

func publish(t *testing.T, js jetstream.JetStream, n, rows int) {
	for i := range n {
		h := nats.Header{}
		h.Set(ingest.HeaderRows, strconv.Itoa(rows))
		if _, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: "ingest.data", Header: h, Data: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBatchesAreBoundedByMessagesAndRows(t *testing.T) {
	js, cons := setup(t)
	publish(t, js, 50, 10)
	f := fetch.New(cons, fetch.Limits{Messages: 20, Rows: 1 << 20, Bytes: 1 << 20, Poll: time.Second})
	b, err := f.Next(context.Background())
	if err != nil || len(b) != 20 {
		t.Fatalf("batch of %d, %v; want 20 (message limit)", len(b), err)
	}
	f = fetch.New(cons, fetch.Limits{Messages: 100, Rows: 55, Bytes: 1 << 20, Poll: time.Second})
	b, err = f.Next(context.Background())
	if err != nil || len(b) < 6 || len(b) > 7 {
		t.Fatalf("batch of %d, %v; want 6 or 7 messages of 10 rows for a 55-row limit", len(b), err)
	}
}

func TestQuietStreamReturnsTheFirstMessageAtOnce(t *testing.T) {
	js, cons := setup(t)
	f := fetch.New(cons, fetch.Limits{Messages: 100, Rows: 1 << 20, Bytes: 1 << 20, Poll: 200 * time.Millisecond})
	go func() {
		time.Sleep(500 * time.Millisecond) // after a couple of empty polls
		publish(t, js, 1, 1)
	}()
	start := time.Now()
	b, err := f.Next(context.Background())
	if err != nil || len(b) != 1 {
		t.Fatalf("batch of %d, %v", len(b), err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("waited %v for a message published after 500ms", waited)
	}
}

func TestNextEndsWithTheContext(t *testing.T) {
	_, cons := setup(t)
	f := fetch.New(cons, fetch.Limits{Messages: 10, Rows: 10, Bytes: 10, Poll: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := f.Next(ctx); err == nil {
		t.Fatal("want an error after the context ended")
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("Next took %v to notice the context", time.Since(start))
	}
}
