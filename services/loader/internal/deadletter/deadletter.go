// Package deadletter files messages the loader gave up on into the
// dead-letter stream: payload and headers as delivered, plus why, when,
// from where and after how many deliveries. Nothing is dropped: a dead
// letter can be inspected with the nats CLI and re-driven.
package deadletter

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// JetStream is the part of jetstream.JetStream dead-lettering needs.
type JetStream interface {
	PublishMsg(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
	CreateOrUpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error)
}

// Queue is the dead-letter stream.
type Queue struct {
	js       JetStream
	settings ingest.Settings
	now      func() time.Time
}

// New returns a Queue.
func New(js JetStream, settings ingest.Settings, now func() time.Time) *Queue {
	return &Queue{js: js, settings: settings, now: now}
}

// Prepare creates or updates the dead-letter stream, which the loader owns.
func (q *Queue) Prepare(ctx context.Context) error {
	if _, err := q.js.CreateOrUpdateStream(ctx, q.settings.DeadLetterStreamConfig()); err != nil {
		return fmt.Errorf("create dead-letter stream %s: %w", q.settings.DeadLetterStream(), err)
	}
	return nil
}

// Send stores a message delivered on subject, with headers hdr and body
// data, in the dead-letter stream. Its Nats-Msg-Id derives from the
// original one, so sending twice (a crash before the Term) stores once.
func (q *Queue) Send(ctx context.Context, subject string, hdr nats.Header, data []byte, seq, deliveries uint64, reason string) error {
	h := nats.Header{}
	for k, v := range hdr {
		h[k] = append([]string(nil), v...)
	}
	id := h.Get(nats.MsgIdHdr)
	if id == "" {
		id = "seq-" + strconv.FormatUint(seq, 10)
	}
	h.Set(nats.MsgIdHdr, "dead."+id)
	h.Set(ingest.HeaderDeadReason, url.PathEscape(reason))
	h.Set(ingest.HeaderDeadSubject, subject)
	h.Set(ingest.HeaderDeadStreamSeq, strconv.FormatUint(seq, 10))
	h.Set(ingest.HeaderDeadDeliveries, strconv.FormatUint(deliveries, 10))
	h.Set(ingest.HeaderDeadAt, q.now().UTC().Format(time.RFC3339Nano))
	dead := &nats.Msg{Subject: q.settings.DeadLetterSubject(), Header: h, Data: data}
	if _, err := q.js.PublishMsg(ctx, dead, jetstream.WithExpectStream(q.settings.DeadLetterStream())); err != nil {
		return fmt.Errorf("publish dead letter: %w", err)
	}
	return nil
}
