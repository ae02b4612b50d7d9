// Package publish sends landed files to JetStream: one message per part,
// each with a content-derived Nats-Msg-Id, each acknowledged by the stream
// before the caller may move the file. Failures are retried with backoff for
// as long as it takes; the file stays where it is meanwhile.
package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/services/watcher/internal/split"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/logging"
	"github.com/tributary-dev/tributary/shared/natsconn"
)

// JetStream is the part of jetstream.JetStream the publisher needs.
type JetStream interface {
	PublishMsg(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
	CreateOrUpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error)
	Conn() *nats.Conn
}

// Observer is told what happens, for metrics.
type Observer interface {
	// Published says a file's parts are stored: how many, the bytes of
	// their bodies (its rows as sent) and how long it took.
	Published(parts int, bytes int64, took time.Duration)
	PublishRetried()
}

// Publisher publishes files and rejection notices.
type Publisher struct {
	js       JetStream
	settings ingest.Settings
	log      *slog.Logger
	obs      Observer
	maxWait  time.Duration // longest pause between retries
}

// New returns a Publisher for the stream described by settings.
func New(js JetStream, settings ingest.Settings, log *slog.Logger, obs Observer) *Publisher {
	return &Publisher{js: js, settings: settings, log: log, obs: obs, maxWait: 5 * time.Second}
}

// oversizedPrefix is how much of a row too large for a message is sent,
// for the rejected row's raw line.
const oversizedPrefix = 2 << 10

// headerRoom is what a part's headers may take out of the server's
// max_payload (headers count against it).
const headerRoom = 2 << 10

// MaxPartBytes is the largest body a part may have: limit, capped by what
// the connected server accepts.
func (p *Publisher) MaxPartBytes(limit int64) int64 {
	if server := p.js.Conn().MaxPayload(); server > 0 && server-headerRoom < limit {
		return server - headerRoom
	}
	return limit
}

// bundleShareOfStream bounds a bundle to this fraction of the stream's
// byte limit (Discard New), so that it is stored once the loader has freed
// that much: a bundle larger than the whole stream would be refused forever.
const bundleShareOfStream = 8

// MaxBundleBytes is the largest body a bundle may have: MaxPartBytes of
// limit, and at most an eighth of the stream's byte limit.
func (p *Publisher) MaxBundleBytes(limit int64) int64 {
	return min(p.MaxPartBytes(limit), max(p.settings.MaxBytes/bundleShareOfStream, 1))
}

// Prepare creates or updates the stream the watcher owns, retrying until
// NATS answers. Stream settings live in package ingest.
func (p *Publisher) Prepare(ctx context.Context) error {
	return p.retry(ctx, "ensure stream", func() error {
		if err := natsconn.CheckServer(p.js.Conn()); err != nil {
			return err
		}
		_, err := p.js.CreateOrUpdateStream(ctx, p.settings.StreamConfig())
		if err != nil {
			return fmt.Errorf("create or update stream %s: %w", p.settings.Stream, err)
		}
		p.log.Info("stream ready", "stream", p.settings.Stream, "subjects", p.settings.SubjectPrefix+".>")
		return nil
	})
}

// File describes a file being published.
type File struct {
	Name     string
	Contract string // the contract its name matched
	LandedAt time.Time
	// Content holds the parts' bytes at their offsets. It is read once,
	// part after part in the layout's order: a decompressed stream serves.
	Content io.ReaderAt
	Layout  split.Layout
}

// topology returns the subjects of contract, and the name its messages
// carry: none for the default contract, whose messages stay as they were
// before contracts. A file that matches no contract ("") is reported on
// the default contract's subjects, as every file was.
func (p *Publisher) topology(contract string) (ingest.Contract, string) {
	if contract == "" || contract == p.settings.DefaultContract {
		return p.settings.ContractTopology(p.settings.DefaultContract), ""
	}
	return p.settings.ContractTopology(contract), contract
}

// PublishFile publishes every part of f to its contract's data subject and
// returns once all are stored.
func (p *Publisher) PublishFile(ctx context.Context, f File) error {
	start := time.Now()
	topo, contract := p.topology(f.Contract)
	var buf []byte
	dups, sent := 0, int64(0)
	for i, span := range f.Layout.Parts {
		length := span.Length
		if span.Oversized {
			length = min(length, oversizedPrefix)
		}
		if int64(cap(buf)) < length {
			buf = make([]byte, length)
		}
		body := buf[:length]
		if _, err := f.Content.ReadAt(body, span.Offset); err != nil {
			return fmt.Errorf("read part %d: %w", i+1, err)
		}
		part := f.part(i, contract)
		msg := &nats.Msg{Subject: topo.DataSubject, Header: part.Header(), Data: body}
		dup, err := p.publish(ctx, msg)
		if err != nil {
			return fmt.Errorf("publish part %d/%d: %w", part.Index, part.Count, err)
		}
		if dup {
			dups++
		}
		sent += int64(len(body))
	}
	if dups == len(f.Layout.Parts) {
		// The same bytes were published moments ago (under this name or
		// another): the stream kept one copy, so nothing loads twice.
		p.log.Info("file content already in the stream; this copy loads nothing", logging.KeyFile, logging.SafeName(f.Name),
			logging.KeyFileID, f.Layout.FileID)
	}
	p.obs.Published(len(f.Layout.Parts), sent, time.Since(start))
	return nil
}

// part describes part i of f; contract is what the part carries (see
// topology).
func (f File) part(i int, contract string) ingest.Part {
	span := f.Layout.Parts[i]
	part := ingest.Part{
		FileID: f.Layout.FileID, FileName: f.Name, Index: i + 1, Count: len(f.Layout.Parts),
		FirstLine: span.FirstLine, Rows: span.Rows, Size: f.Layout.Size, LandedAt: f.LandedAt,
		From: span.From, To: span.To, Offset: span.Offset, Contract: contract, Columns: f.Layout.Columns,
		Encoding: string(f.Layout.Encoding), Format: f.Layout.Format,
	}
	if span.Oversized {
		part.OversizedRow = span.Length
	}
	return part
}

// Entry returns the message of a file that is one part, to be sent with
// others (see SendEntries): its headers as PublishFile would send them,
// and its body read into memory.
func (p *Publisher) Entry(f File) (ingest.Entry, error) {
	if len(f.Layout.Parts) != 1 || f.Layout.Parts[0].Oversized {
		return ingest.Entry{}, fmt.Errorf("file %s is %d parts, not one: it is published alone", logging.SafeName(f.Name), len(f.Layout.Parts))
	}
	_, contract := p.topology(f.Contract)
	span := f.Layout.Parts[0]
	body := make([]byte, span.Length)
	if _, err := f.Content.ReadAt(body, span.Offset); err != nil {
		return ingest.Entry{}, fmt.Errorf("read part 1: %w", err)
	}
	return ingest.Entry{Header: f.part(0, contract).Header(), Data: body}, nil
}

// SendEntries stores the entries of a contract's files as one message: an
// entry alone as itself, several as a bundle (see ingest.Bundle). It
// returns once the stream has stored it.
func (p *Publisher) SendEntries(ctx context.Context, contract string, entries []ingest.Entry) error {
	start := time.Now()
	topo, _ := p.topology(contract)
	msg := &nats.Msg{Subject: topo.DataSubject}
	var sent int64
	if len(entries) == 1 {
		msg.Header, msg.Data = entries[0].Header, entries[0].Data
	} else {
		var err error
		if msg, err = ingest.Bundle(topo.DataSubject, entries); err != nil {
			return err
		}
	}
	for _, e := range entries {
		sent += int64(len(e.Data))
	}
	dup, err := p.publish(ctx, msg)
	if err != nil {
		return fmt.Errorf("publish %d file(s): %w", len(entries), err)
	}
	if dup {
		// The same bytes were published moments ago (a retry, or the same
		// files landed again): the stream kept one copy.
		for _, e := range entries {
			p.log.Info("file content already in the stream; this copy loads nothing",
				logging.KeyFile, logging.SafeName(ingest.DecodeName(e.Header.Get(ingest.HeaderFileName))), logging.KeyFileID, e.Header.Get(ingest.HeaderFileID))
		}
	}
	p.obs.Published(1, sent, time.Since(start))
	return nil
}

// PublishRejection publishes the notice that a file of contract was
// refused, on that contract's rejected subject ("" for a file that matches
// no contract: the default contract's).
func (p *Publisher) PublishRejection(ctx context.Context, contract string, r ingest.Rejection) error {
	topo, _ := p.topology(contract)
	msg := &nats.Msg{Subject: topo.RejectedSubject, Header: r.Header()}
	_, err := p.publish(ctx, msg)
	return err
}

// publish stores msg and reports whether the stream already had it.
func (p *Publisher) publish(ctx context.Context, msg *nats.Msg) (duplicate bool, err error) {
	return duplicate, p.retry(ctx, "publish", func() error {
		ack, err := p.js.PublishMsg(ctx, msg, jetstream.WithExpectStream(p.settings.Stream))
		if errors.Is(err, nats.ErrMaxPayload) {
			return backoff.Permanent(err) // a retry cannot shrink the message
		}
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			// The stream is gone (deleted by hand?): it is ours, put it back.
			if _, cerr := p.js.CreateOrUpdateStream(ctx, p.settings.StreamConfig()); cerr != nil {
				return errors.Join(err, cerr)
			}
		}
		if err != nil {
			return err
		}
		duplicate = ack.Duplicate
		return nil
	})
}

// retry runs op until it succeeds, fails permanently or ctx ends, backing
// off exponentially. Every failure is logged: a full stream or a NATS outage
// must be visible, and the file is kept until the publish succeeds.
func (p *Publisher) retry(ctx context.Context, what string, op func() error) error {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 50 * time.Millisecond
	bo.MaxInterval = p.maxWait
	attempt := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempt++
		return struct{}{}, op()
	}, backoff.WithBackOff(bo), backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, wait time.Duration) {
		p.obs.PublishRetried()
		p.log.Warn(what+" failed; keeping the file and retrying", "attempt", attempt, "retry_in", wait.Round(time.Millisecond), "err", err)
	}))
	return err
}
