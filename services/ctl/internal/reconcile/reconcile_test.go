package reconcile_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/services/ctl/internal/reconcile"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// fixture is a data directory, a migrated database and a NATS server with
// the pipeline's streams.
type fixture struct {
	t        *testing.T
	dirs     datadir.Config
	pool     *pgxpool.Pool
	js       jetstream.JetStream
	settings ingest.Settings
	seq      int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(ctx, pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(natstest.RunServer(t).ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s := ingest.Settings{Stream: "INGEST", SubjectPrefix: "ingest", MaxBytes: 1 << 20, Replicas: 1, DuplicateWindow: time.Minute,
		Consumer: "loader", AckWait: 5 * time.Second, MaxDeliver: 3, MaxAckPending: 100, DeadLetterAge: time.Hour}
	for _, cfg := range []jetstream.StreamConfig{s.StreamConfig(), s.DeadLetterStreamConfig()} {
		if _, err := js.CreateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	dirs := datadir.Config{Dir: t.TempDir()}
	if err := dirs.Ensure(); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, dirs: dirs, pool: pool, js: js, settings: s}
}

// archive puts a file in archive/ and returns its content id.
func (f *fixture) archive(name string) string {
	content := "header\n" + name + "\n"
	if err := os.WriteFile(filepath.Join(f.dirs.Path(datadir.Archive), name), []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

func (f *fixture) committed(fileID string, part, parts int) {
	f.seq++
	_, err := f.pool.Exec(context.Background(), `
		INSERT INTO ingest_ledger (message_id, file_id, part, parts, file_name, stream_seq, rows_loaded)
		VALUES ($1 || '.' || $3::int, $1, $3::int, $4, 'x', $2, 10)`, fileID, f.seq, part, parts)
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) part(fileID, name string, index, count int) *nats.Msg {
	p := ingest.Part{FileID: fileID, FileName: name, Index: index, Count: count, FirstLine: 2, Rows: 1, Size: 10, LandedAt: time.Now()}
	return &nats.Msg{Subject: f.settings.DataSubject(), Header: p.Header(), Data: []byte("row\n")}
}

func (f *fixture) publish(m *nats.Msg) {
	if _, err := f.js.PublishMsg(context.Background(), m); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) deadLetter(m *nats.Msg, reason string) {
	m.Subject = f.settings.DeadLetterSubject()
	m.Header.Set(nats.MsgIdHdr, "dead."+m.Header.Get(nats.MsgIdHdr))
	m.Header.Set(ingest.HeaderDeadReason, url.PathEscape(reason))
	m.Header.Set(ingest.HeaderDeadStreamSeq, "77")
	m.Header.Set(ingest.HeaderDeadDeliveries, "5")
	f.publish(m)
}

func (f *fixture) rejected(name, reason string, recordedAs string) {
	dir := f.dirs.Path(datadir.Rejected)
	if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+datadir.ReasonSuffix), []byte(reason+"\n"), 0o644); err != nil {
		f.t.Fatal(err)
	}
	if recordedAs != "" {
		f.seq++
		if _, err := f.pool.Exec(context.Background(),
			`INSERT INTO rejected_files (file_name, reason, stream_seq) VALUES ($1, $2, $3)`, recordedAs, reason, f.seq); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) run() *reconcile.Report {
	f.t.Helper()
	r, err := reconcile.Run(context.Background(), reconcile.Sources{Dirs: f.dirs, DB: f.pool,
		Streams: reconcile.JetStream{JS: f.js}, Settings: f.settings})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func TestReconcileExplainsEveryArchivedFileNotLoaded(t *testing.T) {
	f := newFixture(t)
	loaded := f.archive("loaded.csv")
	f.committed(loaded, 1, 2)
	f.committed(loaded, 2, 2)
	f.committed(f.archive("single.csv"), 1, 1)
	// The same content landed twice under another name: one content, loaded.
	b, _ := os.ReadFile(filepath.Join(f.dirs.Path(datadir.Archive), "loaded.csv"))
	if err := os.WriteFile(filepath.Join(f.dirs.Path(datadir.Archive), "loaded-again.csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}

	pending := f.archive("pending.csv")
	f.publish(f.part(pending, "pending.csv", 1, 1))

	dead := f.archive("dead.csv")
	f.committed(dead, 1, 2)
	f.deadLetter(f.part(dead, "dead.csv", 2, 2), "malformed part headers: bad")

	f.archive("lost.csv") // published, acknowledged, then gone: no trace anywhere

	partial := f.archive("partial.csv")
	f.committed(partial, 1, 3)
	f.publish(f.part(partial, "partial.csv", 2, 3)) // part 3 is nowhere

	f.rejected("bad.csv", "the header is wrong", "bad.csv")
	f.rejected("bad.1.csv", "the header is wrong", "bad.csv") // the same name landed twice
	f.rejected("unrecorded.csv", "is a FIFO", "")
	f.rejected("notice-waiting.csv", "is empty", "")
	f.publish(&nats.Msg{Subject: f.settings.RejectedSubject(),
		Header: ingest.Rejection{FileName: "notice-waiting.csv", Reason: "is empty", LandedAt: time.Now()}.Header()})

	if err := os.WriteFile(filepath.Join(f.dirs.Path(datadir.Input), "new.csv"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	before, _ := f.js.Stream(context.Background(), f.settings.Stream)
	r := f.run()

	if r.Archived != 7 || r.Contents != 6 || r.Loaded != 3 || r.LoadedRows != 30 || r.Input != 1 {
		t.Errorf("archived %d (%d contents), loaded %d (%d rows), input %d; want 7 (6), 3 (30 rows), 1",
			r.Archived, r.Contents, r.Loaded, r.LoadedRows, r.Input)
	}
	states := map[string]string{}
	for _, nl := range r.NotLoaded {
		states[nl.Name] = nl.State + ": " + nl.Detail
	}
	want := map[string]string{
		"pending.csv": reconcile.Pending,
		"dead.csv":    reconcile.DeadLettered + ": part 2: malformed part headers: bad",
		"lost.csv":    reconcile.Missing + ": no part",
		"partial.csv": reconcile.Missing + ": part(s) 3 of 3 nowhere",
	}
	if len(states) != len(want) {
		t.Errorf("not loaded = %v, want %d files", states, len(want))
	}
	for name, prefix := range want {
		if !strings.HasPrefix(states[name], prefix) {
			t.Errorf("%s: %q, want it to start with %q", name, states[name], prefix)
		}
	}
	for _, rj := range r.Rejected {
		wantRecorded := rj.Name == "bad.csv" || rj.Name == "bad.1.csv"
		if rj.Recorded != wantRecorded || rj.Pending != (rj.Name == "notice-waiting.csv") {
			t.Errorf("rejected %+v", rj)
		}
	}
	if len(r.DeadLetters) != 1 || r.DeadLetters[0].FileName != "dead.csv" || r.DeadLetters[0].StreamSeq != "77" {
		t.Errorf("dead letters = %+v", r.DeadLetters)
	}
	// lost.csv, partial.csv, unrecorded.csv and the dead letter.
	if n := r.Problems(); n != 4 {
		t.Errorf("%d problems, want 4", n)
	}

	var out bytes.Buffer
	r.Print(&out)
	for _, s := range []string{"missing       lost.csv", "dead-lettered dead.csv", "pending       pending.csv", "4 problem(s)"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("printed report lacks %q:\n%s", s, out.String())
		}
	}

	// Read-only: the stream still holds what it held.
	after, _ := f.js.Stream(context.Background(), f.settings.Stream)
	bi, _ := before.Info(context.Background())
	ai, _ := after.Info(context.Background())
	if bi.State.Msgs != ai.State.Msgs || ai.State.Msgs != 3 {
		t.Errorf("stream held %d messages before, %d after; want 3 both times", bi.State.Msgs, ai.State.Msgs)
	}
}

func TestReconcileCleanPipeline(t *testing.T) {
	f := newFixture(t)
	f.committed(f.archive("a.csv"), 1, 1)
	f.rejected("b.csv", "bad", "b.csv")
	r := f.run()
	if r.Problems() != 0 || len(r.NotLoaded) != 0 || r.Loaded != 1 {
		var out bytes.Buffer
		r.Print(&out)
		t.Errorf("want a clean report:\n%s", out.String())
	}
	var out bytes.Buffer
	r.Print(io.MultiWriter(&out))
	if !strings.Contains(out.String(), "no problems") {
		t.Errorf("report:\n%s", out.String())
	}
}

// A file waiting in the stream inside a bundle of small files is pending,
// like one waiting in a message of its own; a dead-lettered entry of a
// bundle is the message it would have been alone.
func TestReconcileReadsBundles(t *testing.T) {
	f := newFixture(t)
	a, b := f.archive("a.csv"), f.archive("b.csv")
	var entries []ingest.Entry
	for _, m := range []*nats.Msg{f.part(a, "a.csv", 1, 1), f.part(b, "b.csv", 1, 1)} {
		entries = append(entries, ingest.Entry{Header: m.Header, Data: m.Data})
	}
	bundle, err := ingest.Bundle(f.settings.DataSubject(), entries)
	if err != nil {
		t.Fatal(err)
	}
	f.publish(bundle)
	dead := f.archive("dead.csv")
	f.deadLetter(f.part(dead, "dead.csv", 1, 1), "refused")
	r := f.run()
	states := map[string]string{}
	for _, nl := range r.NotLoaded {
		states[nl.Name] = nl.State
	}
	if states["a.csv"] != reconcile.Pending || states["b.csv"] != reconcile.Pending || states["dead.csv"] != reconcile.DeadLettered || len(states) != 3 {
		t.Errorf("not loaded = %v, want a.csv and b.csv pending (in a bundle), dead.csv dead-lettered", states)
	}
}
