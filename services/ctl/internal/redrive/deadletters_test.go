package redrive

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
)

var settings = ingest.Settings{Stream: "INGEST", SubjectPrefix: "ingest", Consumer: "loader", MaxBytes: 1 << 30,
	Replicas: 1, MaxDeliver: 5, AckWait: 30 * time.Second, DuplicateWindow: 2 * time.Minute, DeadLetterAge: time.Hour}

func jetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	ns := natstest.RunServer(t)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, cfg := range []jetstream.StreamConfig{settings.StreamConfig(), settings.DeadLetterStreamConfig()} {
		if _, err := js.CreateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	return js
}

// deadLetter stores a message in the dead-letter stream the way the
// loader's deadletter package does.
func deadLetter(t *testing.T, js jetstream.JetStream, subject, msgID string, part ingest.Part, body string) {
	t.Helper()
	h := part.Header()
	h.Set(nats.MsgIdHdr, "dead."+msgID)
	h.Set(ingest.HeaderDeadReason, "message%20content%20refused")
	h.Set(ingest.HeaderDeadSubject, subject)
	h.Set(ingest.HeaderDeadStreamSeq, "7")
	h.Set(ingest.HeaderDeadDeliveries, "5")
	h.Set(ingest.HeaderDeadAt, time.Now().UTC().Format(time.RFC3339Nano))
	if _, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: settings.DeadLetterSubject(), Header: h, Data: []byte(body)}); err != nil {
		t.Fatal(err)
	}
}

func TestRedrivePublishesTheOriginalMessageOnceAndRemovesTheDeadLetter(t *testing.T) {
	js := jetStream(t)
	ctx := context.Background()
	part := ingest.Part{FileID: strings.Repeat("ab", 32), FileName: "x.csv", Index: 1, Count: 1, FirstLine: 2, Rows: 1, Size: 99, LandedAt: time.Unix(5, 0).UTC()}
	// The original is still inside the duplicate window: a copy with its
	// Nats-Msg-Id would be dropped.
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: "ingest.data", Header: part.Header(), Data: []byte("row\n")}); err != nil {
		t.Fatal(err)
	}
	deadLetter(t, js, "ingest.data", part.MsgID(), part, "row\n")
	dl := NewDeadLetters(js, settings)
	letters, err := dl.List(ctx)
	if err != nil || len(letters) != 1 || letters[0].Seq != 1 || letters[0].Subject != "ingest.data" ||
		letters[0].FileName != "x.csv" || letters[0].Reason != "message content refused" || letters[0].Deliveries != "5" {
		t.Fatalf("List = %+v, %v", letters, err)
	}
	seq, err := dl.Redrive(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	ingestStream, _ := js.Stream(ctx, "INGEST")
	m, err := ingestStream.GetMsg(ctx, seq)
	if err != nil {
		t.Fatalf("re-driven message %d: %v", seq, err)
	}
	if seq != 2 || m.Subject != "ingest.data" || string(m.Data) != "row\n" {
		t.Errorf("re-driven as seq %d on %s with %q", seq, m.Subject, m.Data)
	}
	got, err := ingest.ParsePart(m.Header)
	if err != nil || got != part {
		t.Errorf("re-driven part = %+v (%v), want %+v", got, err, part)
	}
	for k := range m.Header {
		if strings.HasPrefix(k, "Tributary-Dead-") || k == nats.MsgIdHdr {
			t.Errorf("re-driven message keeps header %s", k)
		}
	}
	if letters, _ := dl.List(ctx); len(letters) != 0 {
		t.Errorf("dead letters left: %+v", letters)
	}
	if _, err := dl.Redrive(ctx, 1); err == nil || !strings.Contains(err.Error(), "dead letter 1 does not exist") {
		t.Errorf("second re-drive: %v", err)
	}
}

func TestRedriveRefusesASubjectOutsideTheIngestStream(t *testing.T) {
	js := jetStream(t)
	deadLetter(t, js, "elsewhere.>", "x", ingest.Part{}, "payload")
	dl := NewDeadLetters(js, settings)
	_, err := dl.Redrive(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), `came from subject "elsewhere.>"`) {
		t.Fatalf("err = %v", err)
	}
	if letters, _ := dl.List(context.Background()); len(letters) != 1 {
		t.Errorf("the refused dead letter must stay: %+v", letters)
	}
}
