package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db/dbtest"
	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/schema/schematest"
)

func newStore(t *testing.T) (*store.Store, *pgxpool.Pool) { return newStoreB(t) }

func newStoreB(t testing.TB) (*store.Store, *pgxpool.Pool) {
	t.Helper()
	pool := dbtest.NewPool(t)
	return store.New(pool, schematest.UserActivity(t, pool)), pool
}

var seq uint64

func part(fileID string, index, count int, body string) store.Message {
	seq++
	p := &ingest.Part{FileID: fileID, FileName: "f-" + fileID[:4] + ".csv", Index: index, Count: count,
		FirstLine: 2, Rows: strings.Count(body, "\n"), LandedAt: time.Now()}
	return store.Message{ID: p.MsgID(), Seq: seq, Part: p, Body: []byte(body)}
}

func id(c byte) string { return strings.Repeat(string(c), 64) }

func rows(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "e%d,2026-01-02 03:04:05.123456,purchase,%d,%d.%02d,7,s%d\n", i, i, i, i%100, i%3)
	}
	return b.String()
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestApplyLoadsOnceAndSkipsRedelivery(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	batch := []store.Message{part(id('a'), 1, 2, rows(0, 100)), part(id('a'), 2, 2, rows(100, 250))}
	out, err := s.Apply(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != (store.Outcome{Applied: true, Loaded: 100}) || out[1] != (store.Outcome{Applied: true, Loaded: 150}) {
		t.Fatalf("outcomes = %+v", out)
	}
	// A redelivery of the same messages (crash after COMMIT, before ack).
	out, err = s.Apply(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Applied || out[1].Applied {
		t.Fatalf("redelivery applied again: %+v", out)
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != 250 {
		t.Fatalf("user_activity has %d rows, want 250", n)
	}
	var sum string
	pool.QueryRow(ctx, "SELECT sum(price)::text FROM user_activity").Scan(&sum)
	want := 0
	for i := range 250 {
		want += i*100 + i%100
	}
	if sum != fmt.Sprintf("%d.%02d", want/100, want%100) {
		t.Errorf("sum(price) = %s, want exact %d cents", sum, want)
	}
	var ts string
	pool.QueryRow(ctx, "SELECT event_time::text FROM user_activity WHERE event_id = 'e1'").Scan(&ts)
	if ts != "2026-01-02 03:04:05.123456" {
		t.Errorf("event_time = %s", ts)
	}
	if n := count(t, pool, "SELECT sum(rows_loaded) FROM ingest_ledger WHERE file_id = $1", id('a')); n != 250 {
		t.Errorf("ledger counts %d rows", n)
	}
}

func TestApplyRejectsBadRowsAndLoadsTheRest(t *testing.T) {
	s, pool := newStore(t)
	body := rows(0, 2) +
		"e-bad,2026-13-01 00:00:00,view,1,1.00,1,s\n" +
		"e-neg,2026-01-01 00:00:00,view,1,-50.00,1,s\n" +
		"e-nul,2026-01-01 00:00:00,view,1,1.00,1,a\x00b\n" +
		"short,row\n" +
		rows(2, 3)
	out, err := s.Apply(context.Background(), []store.Message{part(id('b'), 1, 1, body)})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Loaded != 3 || out[0].Rejected != 4 {
		t.Fatalf("outcome = %+v, want 3 loaded 4 rejected", out[0])
	}
	type rej struct {
		line   int
		column *string
		reason string
		raw    string
	}
	r, err := pool.Query(context.Background(), "SELECT line_number, column_name, reason, raw_line FROM user_activity_rejects ORDER BY line_number")
	if err != nil {
		t.Fatal(err)
	}
	var got []rej
	for r.Next() {
		var x rej
		r.Scan(&x.line, &x.column, &x.reason, &x.raw)
		got = append(got, x)
	}
	wants := []struct {
		line   int
		reason string
	}{
		{4, `event_time "2026-13-01 00:00:00" is not a valid time`},
		{5, `price "-50.00" is negative`},
		{6, `contains a NUL byte`},
		{7, "row has 2 fields, want 7"},
	}
	if len(got) != len(wants) {
		t.Fatalf("rejects = %+v", got)
	}
	for i, w := range wants {
		if got[i].line != w.line || !strings.Contains(got[i].reason, w.reason) {
			t.Errorf("reject %d = %+v, want line %d reason %q", i, got[i], w.line, w.reason)
		}
	}
	if got[2].raw != "e-nul,2026-01-01 00:00:00,view,1,1.00,1,a\uFFFDb" {
		t.Errorf("raw line with NUL stored as %q", got[2].raw)
	}
}

func TestApplyReportsDuplicatesAndLoadsTheRest(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	if _, err := s.Apply(ctx, []store.Message{part(id('c'), 1, 1, rows(0, 10))}); err != nil {
		t.Fatal(err)
	}
	// Another file repeats e5 and e6; two messages of one batch share e20.
	batch := []store.Message{
		part(id('d'), 1, 1, rows(5, 7)+rows(20, 21)+rows(30, 32)),
		part(id('e'), 1, 1, rows(20, 21)+rows(40, 41)),
	}
	out, err := s.Apply(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != (store.Outcome{Applied: true, Loaded: 3, Rejected: 2}) || out[1] != (store.Outcome{Applied: true, Loaded: 1, Rejected: 1}) {
		t.Fatalf("outcomes = %+v", out)
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != 14 {
		t.Errorf("user_activity has %d rows, want 14", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity_rejects WHERE reason LIKE '%is already loaded from \"f-cccc.csv\"%'"); n != 2 {
		t.Errorf("%d rejects name the file that loaded the first copy, want 2", n)
	}
	// A copy repeated within the batch names the message that loaded the
	// first one, exactly as if they had been loaded in separate batches.
	if n := count(t, pool, `SELECT count(*) FROM user_activity_rejects WHERE reason = '(event_id, event_time) ("e20", "2026-01-02 03:04:05.123456") is already loaded from "f-dddd.csv"; the first copy loaded wins' AND file_name = 'f-eeee.csv'`); n != 1 {
		t.Errorf("%d rejects name the batch-mate that loaded e20 first, want 1", n)
	}
}

func TestApplyRecordsRejectedFilesOnce(t *testing.T) {
	s, pool := newStore(t)
	r := &ingest.Rejection{FileName: "link.csv", Reason: "is a symbolic link", LandedAt: time.Now()}
	msg := store.Message{ID: r.MsgID(), Seq: 99, Rejection: r}
	for range 2 {
		if _, err := s.Apply(context.Background(), []store.Message{msg}); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM rejected_files WHERE file_name = 'link.csv' AND file_id IS NULL"); n != 1 {
		t.Errorf("rejected_files has %d rows for the notice, want 1", n)
	}
}

func TestConcurrentLoadersApplyOnce(t *testing.T) {
	s, pool := newStore(t)
	batch := []store.Message{part(id('f'), 1, 2, rows(0, 500)), part(id('f'), 2, 2, rows(500, 1000))}
	// The other loader receives the same messages in another order.
	reversed := []store.Message{batch[1], batch[0]}
	var wg sync.WaitGroup
	applied := make([]int, 4)
	for i := range 4 {
		wg.Go(func() {
			b := batch
			if i%2 == 1 {
				b = reversed
			}
			out, err := s.Apply(context.Background(), b)
			if err != nil {
				t.Error(err)
				return
			}
			for _, o := range out {
				if o.Applied {
					applied[i]++
				}
			}
		})
	}
	wg.Wait()
	if total := applied[0] + applied[1] + applied[2] + applied[3]; total != 2 {
		t.Errorf("messages applied %d times in all, want 2", total)
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != 1000 {
		t.Errorf("user_activity has %d rows, want 1000", n)
	}
}

// A message can reach one batch twice: redelivered after AckWait (a stalled
// loader, a NATS restart that forgot the delivery) while the batch was
// still being fetched. It is one message: applied once, never reported as
// duplicate rows of itself.
func TestApplyMessageTwiceInOneBatchAppliesItOnce(t *testing.T) {
	s, pool := newStore(t)
	m := part(id('d'), 1, 2, rows(0, 300))
	other := part(id('d'), 2, 2, rows(300, 400))
	again := m
	again.Seq = m.Seq + 100 // the redelivery carries the same stream message
	out, err := s.Apply(context.Background(), []store.Message{m, other, again})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Outcome{{Applied: true, Loaded: 300}, {Applied: true, Loaded: 100}, {}}
	for i := range want {
		if out[i] != want[i] {
			t.Errorf("outcome %d = %+v, want %+v", i, out[i], want[i])
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != 400 {
		t.Errorf("user_activity has %d rows, want 400", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity_rejects"); n != 0 {
		t.Errorf("%d rejects, want 0", n)
	}
	if n := count(t, pool, "SELECT sum(rows_loaded) FROM ingest_ledger WHERE file_id = $1", id('d')); n != 400 {
		t.Errorf("ledger counts %d rows loaded, want 400", n)
	}
}

func TestApplyRejectsAnOversizedRowAndLoadsTheRest(t *testing.T) {
	s, pool := newStore(t)
	big := part(id('h'), 2, 3, strings.Repeat("q", 2048))
	big.Part.FirstLine, big.Part.Rows, big.Part.OversizedRow = 12, 1, 5000
	batch := []store.Message{part(id('h'), 1, 3, rows(0, 10)), big, part(id('h'), 3, 3, rows(10, 20))}
	out, err := s.Apply(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if out[1] != (store.Outcome{Applied: true, Rejected: 1}) || out[0].Loaded+out[2].Loaded != 20 {
		t.Fatalf("outcomes = %+v", out)
	}
	var line int
	var column *string
	var reason, raw string
	if err := pool.QueryRow(context.Background(), "SELECT line_number, column_name, reason, raw_line FROM user_activity_rejects").
		Scan(&line, &column, &reason, &raw); err != nil {
		t.Fatal(err)
	}
	if line != 12 || column != nil || reason != "row is 5000 bytes, more than the largest message (WATCHER_MAX_MESSAGE_BYTES)" ||
		raw != strings.Repeat("q", 2048)+"... [truncated: 5000 bytes in all]" {
		t.Errorf("reject = line %d column %v reason %q raw %d bytes ending %q", line, column, reason, len(raw), raw[len(raw)-40:])
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != 20 {
		t.Errorf("user_activity has %d rows, want 20", n)
	}
}

// committed_at must mark the end of the transaction, not its start (now()),
// or landed-to-committed latency would leave out the COPY: here the COPY
// waits on a lock, and committed_at must come after the lock is released.
func TestCommittedAtIsStampedAfterTheRows(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	blocker, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(ctx)
	if _, err := blocker.Exec(ctx, "LOCK TABLE user_activity IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Apply(ctx, []store.Message{part(id('t'), 1, 1, rows(0, 10))})
		done <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); count(t, pool,
		"SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'user_activity'::regclass") == 0; {
		if time.Now().After(deadline) {
			t.Fatal("Apply never waited for the lock on user_activity")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var released time.Time
	if err := pool.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&released); err != nil {
		t.Fatal(err)
	}
	if err := blocker.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var committed time.Time
	if err := pool.QueryRow(ctx, "SELECT committed_at FROM ingest_ledger WHERE message_id = $1", id('t')+".1").Scan(&committed); err != nil {
		t.Fatal(err)
	}
	if committed.Before(released) {
		t.Errorf("committed_at %s is before the COPY could run (%s): it marks the transaction's start", committed, released)
	}
}

// Every value must arrive exactly as written: the loader encodes rows in
// PostgreSQL's binary COPY format itself, so each type's edge cases are
// read back here as PostgreSQL prints them.
func TestApplyStoresValuesExactly(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	tests := []struct{ time, price, session, wantTime, wantPrice string }{
		{"2026-01-02 03:04:05", "0", "s", "2026-01-02 03:04:05", "0.00"},
		{"2026-01-02T03:04:05.000001", "0.05", "", "2026-01-02 03:04:05.000001", "0.05"},
		{"1999-12-31 23:59:59.999999", "0.1", "é", "1999-12-31 23:59:59.999999", "0.10"},
		{"2000-01-01 00:00:00", "1", "x", "2000-01-01 00:00:00", "1.00"},
		{"0001-01-01 00:00:00", "19.99", "x", "0001-01-01 00:00:00", "19.99"},
		{"9999-12-31 23:59:59.5", "100.00", "x", "9999-12-31 23:59:59.5", "100.00"},
		{"1970-01-01 00:00:00", "9999.99", "x", "1970-01-01 00:00:00", "9999.99"},
		{"2024-02-29 12:00:00", "10000", "x", "2024-02-29 12:00:00", "10000.00"},
		{"2026-06-30 12:00:00", "10000.01", "x", "2026-06-30 12:00:00", "10000.01"},
		{"2026-06-30 12:00:00", "12345678.90", "x", "2026-06-30 12:00:00", "12345678.90"},
		{"2026-06-30 12:00:00", "99999999.99", "x", "2026-06-30 12:00:00", "99999999.99"},
		{"2026-06-30 12:00:00", "00100000.500", "x", "2026-06-30 12:00:00", "100000.50"},
	}
	var body strings.Builder
	for i, tt := range tests {
		fmt.Fprintf(&body, "v%d,%s,view,%d,%s,%d,%s\n", i, tt.time, -2147483648+i, tt.price, 2147483647-i, tt.session)
	}
	if _, err := s.Apply(ctx, []store.Message{part(id('v'), 1, 1, body.String())}); err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		var ts, price string
		var product, user int32
		var session *string
		err := pool.QueryRow(ctx, "SELECT event_time::text, price::text, product_id, user_id, session_id FROM user_activity WHERE event_id = $1",
			fmt.Sprintf("v%d", i)).Scan(&ts, &price, &product, &user, &session)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if ts != tt.wantTime || price != tt.wantPrice || product != int32(-2147483648+i) || user != int32(2147483647-i) {
			t.Errorf("row %d = %s, %s, %d, %d; want %s, %s, %d, %d", i, ts, price, product, user, tt.wantTime, tt.wantPrice, -2147483648+i, 2147483647-i)
		}
		if (session == nil) != (tt.session == "") || (session != nil && *session != tt.session) {
			t.Errorf("row %d: session_id = %v, want %q (empty is NULL)", i, session, tt.session)
		}
	}
}
