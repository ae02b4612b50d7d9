package publish_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/services/watcher/internal/contracttest"
	"github.com/tributary-dev/tributary/services/watcher/internal/publish"
	"github.com/tributary-dev/tributary/services/watcher/internal/split"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
)

type counts struct{ published, retried atomic.Int64 }

func (c *counts) Published(parts int, _ int64, _ time.Duration) { c.published.Add(int64(parts)) }
func (c *counts) PublishRetried()                               { c.retried.Add(1) }

func settings() ingest.Settings {
	return ingest.Settings{Stream: "INGEST", SubjectPrefix: "ingest", MaxBytes: 1 << 20, Replicas: 1,
		DuplicateWindow: time.Minute, Consumer: "loader", DefaultContract: "user_activity", AckWait: 5 * time.Second, MaxDeliver: 3, MaxAckPending: 100}
}

func setup(t *testing.T, s ingest.Settings) (*publish.Publisher, jetstream.JetStream, *counts) {
	srv := natstest.RunServer(t)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	c := &counts{}
	p := publish.New(js, s, slog.New(slog.NewTextHandler(io.Discard, nil)), c)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	return p, js, c
}

const csvFile = "event_id,event_time,event_type,product_id,price,user_id,session_id\n" +
	"a,2026-01-01 00:00:00,view,1,1.00,1,s\n" +
	"b,2026-01-01 00:00:00,view,1,1.00,1,s\n" +
	"c,2026-01-01 00:00:00,view,1,1.00,1,s\n"

func layout(t *testing.T, maxPart int64) split.Layout {
	l, err := split.Inspect(strings.NewReader(csvFile), int64(len(csvFile)), maxPart, contracttest.UserActivity())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestPublishFileStoresEveryPartOnce(t *testing.T) {
	p, js, c := setup(t, settings())
	ctx := context.Background()
	l := layout(t, 80) // two rows per part at most
	f := publish.File{Name: "f\n.csv", LandedAt: time.Unix(1, 0), Content: strings.NewReader(csvFile), Layout: l}
	if err := p.PublishFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	// Publishing again (a crash before the move) is absorbed by Nats-Msg-Id.
	if err := p.PublishFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	stream, _ := js.Stream(ctx, "INGEST")
	info, _ := stream.Info(ctx)
	if info.State.Msgs != uint64(len(l.Parts)) || len(l.Parts) != 2 {
		t.Fatalf("stream holds %d messages, want %d (parts %d)", info.State.Msgs, len(l.Parts), len(l.Parts))
	}
	var body bytes.Buffer
	for seq := uint64(1); seq <= info.State.Msgs; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		part, err := ingest.ParsePart(m.Header)
		if err != nil {
			t.Fatal(err)
		}
		if part.FileName != "f\n.csv" || part.Index != int(seq) || part.Count != 2 || part.FileID != l.FileID {
			t.Errorf("part %d metadata = %+v", seq, part)
		}
		span := l.Parts[seq-1]
		if part.From != span.From || part.To != span.To || part.Offset != span.Offset || m.Header.Get(nats.MsgIdHdr) != part.MsgID() {
			t.Errorf("part %d: range %d-%d at %d, id %q; want the span's %+v and the range in the id", seq, part.From, part.To, part.Offset,
				m.Header.Get(nats.MsgIdHdr), span)
		}
		body.Write(m.Data)
	}
	if body.String() != csvFile[strings.Index(csvFile, "\n")+1:] {
		t.Errorf("parts do not rebuild the rows:\n%s", body.String())
	}
	if c.published.Load() != 4 {
		t.Errorf("observer saw %d parts, want 4", c.published.Load())
	}
}

func TestPublishWaitsWhileTheStreamIsFull(t *testing.T) {
	s := settings()
	s.MaxBytes = 600 // room for about two messages
	p, js, c := setup(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 3 {
		name := string(rune('a' + i))
		content := strings.Replace(csvFile, "\na,", "\n"+name+name+",", 1) // distinct content, distinct ids
		li, err := split.Inspect(strings.NewReader(content), int64(len(content)), 1<<20, contracttest.UserActivity())
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			done <- p.PublishFile(ctx, publish.File{Name: name, Content: strings.NewReader(content), Layout: li})
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			continue
		case <-time.After(time.Second):
		}
		// Blocked: the stream refused the message (Discard New) and nothing was dropped.
		stream, _ := js.Stream(ctx, "INGEST")
		info, _ := stream.Info(ctx)
		if info.State.Msgs != uint64(i) || c.retried.Load() == 0 {
			t.Fatalf("file %d: stream has %d msgs, %d retries; want %d msgs and retries", i, info.State.Msgs, c.retried.Load(), i)
		}
		// Space returns: a loader consumes one message.
		if err := stream.DeleteMsg(ctx, info.State.FirstSeq); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("publish after space returned: %v", err)
		}
		return
	}
	t.Fatal("the stream never filled up")
}

func TestPublishSendsOnlyTheBeginningOfARowLargerThanAMessage(t *testing.T) {
	p, js, _ := setup(t, settings())
	ctx := context.Background()
	giant := "giant," + strings.Repeat("z", 10000) + "\n"
	content := csvFile + giant + "d,2026-01-01 00:00:00,view,1,1.00,1,s\n"
	l, err := split.Inspect(strings.NewReader(content), int64(len(content)), 4096, contracttest.UserActivity())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.PublishFile(ctx, publish.File{Name: "g.csv", Content: strings.NewReader(content), Layout: l}); err != nil {
		t.Fatal(err)
	}
	stream, _ := js.Stream(ctx, "INGEST")
	m, err := stream.GetMsg(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	part, err := ingest.ParsePart(m.Header)
	if err != nil {
		t.Fatal(err)
	}
	if part.OversizedRow != int64(len(giant)) || part.FirstLine != 5 || part.Rows != 1 || string(m.Data) != giant[:2048] {
		t.Errorf("oversized part = %+v with %d bytes, want the row's size, line 5 and its first 2048 bytes", part, len(m.Data))
	}
}

// A bundle takes at most an eighth of the stream's byte limit: one larger
// than the stream (Discard New) would be refused forever, and the files in
// it with it, however much the loader drained.
func TestABundleFitsInAnEighthOfTheStream(t *testing.T) {
	s := settings()
	s.MaxBytes = 256 << 10
	p, _, _ := setup(t, s)
	if got := p.MaxBundleBytes(1 << 20); got != 32<<10 {
		t.Errorf("a bundle may take %d bytes of a %d-byte stream, want %d", got, s.MaxBytes, 32<<10)
	}
	if got, part := p.MaxBundleBytes(16<<10), p.MaxPartBytes(16<<10); got != part {
		t.Errorf("a bundle may take %d bytes, want the part limit %d when it is the smaller", got, part)
	}
}
