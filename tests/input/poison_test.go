package input

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// TestPoisonMessageIsDeadLettered publishes a message the loader cannot
// decode straight onto the ingest subject. It is retried the configured
// number of deliveries, then lands in the dead-letter stream with its
// reason, payload and headers, and is terminated; files landed meanwhile
// load without waiting for it.
func TestPoisonMessageIsDeadLettered(t *testing.T) {
	const maxDeliver = 3
	p := startPipeline(t, map[string]string{"CONSUMER_MAX_DELIVER": strconv.Itoa(maxDeliver)})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.Eventually(10*time.Second, "the loader's consumer", func() bool {
		_, err := p.js.Consumer(ctx, "INGEST", "loader")
		return err == nil
	})

	poison := &nats.Msg{Subject: "ingest.data", Header: nats.Header{}, Data: []byte("not,a,part\n")}
	poison.Header.Set(nats.MsgIdHdr, "poison-1")
	poison.Header.Set(ingest.HeaderFileID, "not-a-hash")
	poison.Header.Set(ingest.HeaderPart, "7/3")
	ack, err := p.js.PublishMsg(ctx, poison, jetstream.WithExpectStream("INGEST"))
	if err != nil {
		t.Fatal(err)
	}
	published := time.Now()

	// Good files keep loading while the poison waits for its next delivery.
	p.Land("while-poisoned.csv", csvOf("during-1", "during-2"))
	p.Eventually(10*time.Second, "a good file to load while the poison is retried", func() bool { return p.Rows() == 2 })
	loadedAfter := time.Since(published)
	if n := p.streamMsgs("INGEST_DLQ"); n != 0 {
		t.Fatalf("the poison was dead-lettered before the good file loaded: the test shows nothing (%d dead letters)", n)
	}

	p.Eventually(30*time.Second, "the poison message in the dead-letter stream", func() bool { return p.streamMsgs("INGEST_DLQ") == 1 })
	deadAfter := time.Since(published)
	dlq, err := p.js.Stream(ctx, "INGEST_DLQ")
	if err != nil {
		t.Fatal(err)
	}
	dead, err := dlq.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	reason, _ := url.PathUnescape(dead.Header.Get(ingest.HeaderDeadReason))
	t.Logf("poison published at stream seq %d; a good file landed after it loaded %v later; the poison was dead-lettered %v later", ack.Sequence, loadedAfter.Round(time.Millisecond), deadAfter.Round(time.Millisecond))
	t.Logf("dead letter %d on %s: %s=%s %s=%s %s=%s %s=%q payload=%q", dead.Sequence, dead.Subject,
		ingest.HeaderDeadSubject, dead.Header.Get(ingest.HeaderDeadSubject),
		ingest.HeaderDeadStreamSeq, dead.Header.Get(ingest.HeaderDeadStreamSeq),
		ingest.HeaderDeadDeliveries, dead.Header.Get(ingest.HeaderDeadDeliveries),
		ingest.HeaderDeadReason, reason, dead.Data)
	if dead.Header.Get(ingest.HeaderDeadDeliveries) != strconv.Itoa(maxDeliver) {
		t.Errorf("dead-lettered after %s deliveries, want %d", dead.Header.Get(ingest.HeaderDeadDeliveries), maxDeliver)
	}
	if !strings.HasPrefix(reason, "malformed part headers: header Tributary-File-Id \"not-a-hash\" is not a hex SHA-256") {
		t.Errorf("reason = %q", reason)
	}
	if dead.Header.Get(ingest.HeaderDeadSubject) != "ingest.data" || dead.Header.Get(ingest.HeaderDeadStreamSeq) != strconv.FormatUint(ack.Sequence, 10) ||
		string(dead.Data) != "not,a,part\n" || dead.Header.Get(ingest.HeaderPart) != "7/3" || dead.Header.Get(nats.MsgIdHdr) != "dead.poison-1" {
		t.Errorf("the dead letter does not keep the message as delivered: %v %q", dead.Header, dead.Data)
	}

	// Terminated: gone from the work queue, not redelivered again.
	p.Eventually(5*time.Second, "the poison terminated and gone from INGEST", func() bool { return p.streamMsgs("INGEST") == 0 })
	time.Sleep(3 * time.Second) // longer than the longest redelivery delay used
	if n := p.logs.wait("message failed; it will be redelivered", nil, maxDeliver-1); n != maxDeliver-1 {
		t.Errorf("%d failed deliveries logged, want %d", n, maxDeliver-1)
	}
	if n := p.logs.wait("message dead-lettered", nil, 1); n != 1 {
		t.Errorf("%d dead-letter log lines, want 1", n)
	}
	cons, err := p.js.Consumer(ctx, "INGEST", "loader")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending != 0 || info.NumPending != 0 {
		t.Errorf("consumer still holds messages: pending %d, ack pending %d", info.NumPending, info.NumAckPending)
	}

	// And the pipeline goes on.
	p.Land("after-poison.csv", csvOf("after-1"))
	p.idle(10 * time.Second)
	if n := p.Rows(); n != 3 {
		t.Errorf("%d rows loaded in all, want 3", n)
	}
}
