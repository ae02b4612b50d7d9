package redrive

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// JetStream is the part of jetstream.JetStream re-driving dead letters
// needs.
type JetStream interface {
	Stream(ctx context.Context, name string) (jetstream.Stream, error)
	PublishMsg(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// DeadLetter is one message of the dead-letter stream.
type DeadLetter struct {
	Seq        uint64 // in the dead-letter stream
	Subject    string // the ingest subject it was delivered from
	FileName   string
	Reason     string
	Deliveries string
	At         time.Time // when it was dead-lettered
}

// DeadLetters reads and re-drives the dead-letter stream.
type DeadLetters struct {
	js       JetStream
	settings ingest.Settings
}

// NewDeadLetters returns the dead letters of the topology in settings.
func NewDeadLetters(js JetStream, settings ingest.Settings) *DeadLetters {
	return &DeadLetters{js: js, settings: settings}
}

// List returns every dead letter, oldest first.
func (d *DeadLetters) List(ctx context.Context) ([]DeadLetter, error) {
	dlq, err := d.js.Stream(ctx, d.settings.DeadLetterStream())
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil // nothing was ever dead-lettered
	}
	if err != nil {
		return nil, fmt.Errorf("open dead-letter stream: %w", err)
	}
	var out []DeadLetter
	for seq := uint64(1); ; {
		m, err := dlq.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(d.settings.DeadLetterSubject()))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read dead letter at %d: %w", seq, err)
		}
		out = append(out, describe(m))
		seq = m.Sequence + 1
	}
}

func describe(m *jetstream.RawStreamMsg) DeadLetter {
	reason, err := url.PathUnescape(m.Header.Get(ingest.HeaderDeadReason))
	if err != nil {
		reason = m.Header.Get(ingest.HeaderDeadReason)
	}
	at, _ := time.Parse(time.RFC3339Nano, m.Header.Get(ingest.HeaderDeadAt))
	return DeadLetter{
		Seq:        m.Sequence,
		Subject:    m.Header.Get(ingest.HeaderDeadSubject),
		FileName:   ingest.DecodeName(m.Header.Get(ingest.HeaderFileName)),
		Reason:     reason,
		Deliveries: m.Header.Get(ingest.HeaderDeadDeliveries),
		At:         at,
	}
}

// Redrive publishes dead letter seq back onto the ingest subject it came
// from, as it was first published, then deletes it from the dead-letter
// stream. It returns the message's new sequence in the ingest stream.
//
// The copy carries no Nats-Msg-Id: the original one is still inside the
// duplicate window when a poison is fixed quickly, and JetStream would drop
// the copy. The loader then keys its ledger on the part itself (file id and
// part number, exactly the id the watcher gave it), so a copy of a message
// that was applied after all, or a second re-drive, loads nothing twice.
func (d *DeadLetters) Redrive(ctx context.Context, seq uint64) (uint64, error) {
	dlq, err := d.js.Stream(ctx, d.settings.DeadLetterStream())
	if err != nil {
		return 0, fmt.Errorf("open dead-letter stream: %w", err)
	}
	m, err := dlq.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, fmt.Errorf("dead letter %d does not exist", seq)
	}
	if err != nil {
		return 0, fmt.Errorf("read dead letter %d: %w", seq, err)
	}
	subject := m.Header.Get(ingest.HeaderDeadSubject)
	if !d.settings.IsIngestSubject(subject) {
		return 0, fmt.Errorf("dead letter %d came from subject %q, which is not %s or %s, or a contract's (%s.<contract>): not re-driven",
			seq, subject, d.settings.DataSubject(), d.settings.RejectedSubject(), d.settings.DataSubject())
	}
	msg := &nats.Msg{Subject: subject, Header: original(m.Header), Data: m.Data}
	ack, err := d.js.PublishMsg(ctx, msg, jetstream.WithExpectStream(d.settings.Stream))
	if err != nil {
		return 0, fmt.Errorf("publish dead letter %d to %s: %w", seq, subject, err)
	}
	if err := dlq.DeleteMsg(ctx, seq); err != nil {
		return ack.Sequence, fmt.Errorf("dead letter %d re-published as %s seq %d but not removed (a second re-drive loads nothing twice): %w",
			seq, d.settings.Stream, ack.Sequence, err)
	}
	return ack.Sequence, nil
}

// original strips what dead-lettering added, and the Nats-Msg-Id.
func original(h nats.Header) nats.Header {
	out := nats.Header{}
	for k, v := range h {
		if strings.HasPrefix(k, "Tributary-Dead-") || k == nats.MsgIdHdr {
			continue
		}
		out[k] = append([]string(nil), v...)
	}
	return out
}

// ParseSeq reads a dead-letter sequence given on the command line.
func ParseSeq(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a dead-letter sequence number", s)
	}
	return n, nil
}
