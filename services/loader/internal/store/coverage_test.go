package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/ingest"
)

const header = "event_id,event_time,event_type,product_id,price,user_id,session_id\n"

// badRowsFile is a file of n rows, two of them invalid.
func badRowsFile(n int) string {
	body := rows(0, n-2)
	cut := strings.Index(body, "\ne5,") + 1
	return header + body[:cut] + "e-bad,2026-13-01 00:00:00,view,1,1.00,1,s\n" + body[cut:] + "short,row\n"
}

// split cuts file as the watcher does, perPart rows to a part: the ranges
// tile the file and end at row ends, the bodies hold the rows only.
func split(file string, perPart int) []store.Message {
	sum := sha256.Sum256([]byte(file))
	fileID := hex.EncodeToString(sum[:])
	var ends []int // offsets just past each row
	for i := len(header); i < len(file); i++ {
		if file[i] == '\n' {
			ends = append(ends, i+1)
		}
	}
	var parts []*ingest.Part
	for first := 0; first < len(ends); first += perPart {
		last := min(first+perPart, len(ends)) - 1
		from, offset := 0, len(header)
		if first > 0 {
			from, offset = ends[first-1], ends[first-1]
		}
		parts = append(parts, &ingest.Part{FileID: fileID, FileName: "split.csv", Index: len(parts) + 1, FirstLine: first + 2,
			Rows: last - first + 1, Size: int64(len(file)), LandedAt: time.Now(),
			From: int64(from), To: int64(ends[last]), Offset: int64(offset)})
	}
	parts[len(parts)-1].To = int64(len(file))
	msgs := make([]store.Message, len(parts))
	for i, p := range parts {
		p.Count = len(parts)
		seq++
		msgs[i] = store.Message{ID: p.MsgID(), Seq: seq, Part: p, Body: []byte(file[p.Offset:min(p.To, int64(len(file)))])}
	}
	return msgs
}

func applyEach(t *testing.T, s *store.Store, msgs []store.Message) {
	t.Helper()
	for _, m := range msgs {
		if _, err := s.Apply(context.Background(), []store.Message{m}); err != nil {
			t.Fatal(err)
		}
	}
}

// Parts of two splits of one file (the split limit changed between two
// attempts) load every row exactly once, rejects included, in any order.
func TestPartsOfTwoSplitsLoadEveryRowOnce(t *testing.T) {
	s, pool := newStore(t)
	file := badRowsFile(250)
	a, b := split(file, 30), split(file, 47)
	applyEach(t, s, a[:3])
	applyEach(t, s, b)
	out, err := s.Apply(context.Background(), a[3:]) // the first attempt's late parts, in one batch
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range out {
		if o.Applied || o.Loaded != 0 {
			t.Errorf("late part %d of the first split: %+v, want nothing applied (the second split loaded its rows)", i+4, o)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != 248 {
		t.Errorf("user_activity has %d rows, want 248", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity_rejects"); n != 2 {
		t.Errorf("%d rejects, want the 2 bad rows once each", n)
	}
	if n := count(t, pool, "SELECT sum(rows_loaded) FROM ingest_ledger"); n != 248 {
		t.Errorf("ledger counts %d rows loaded, want 248", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM ingest_files WHERE loaded_at IS NOT NULL AND loaded = int8multirange(int8range(0, size_bytes))"); n != 1 {
		t.Errorf("ingest_files does not show the file loaded whole")
	}
}

// Two loaders holding overlapping parts of two splits at once: the file's
// row serializes them, and every row loads once.
func TestLoadersRacingOnTwoSplitsLoadOnce(t *testing.T) {
	s, pool := newStore(t)
	file := badRowsFile(400)
	var wg sync.WaitGroup
	for _, perPart := range []int{13, 29, 64} {
		msgs := split(file, perPart)
		wg.Go(func() {
			for len(msgs) > 0 {
				n := min(len(msgs), 3)
				if _, err := s.Apply(context.Background(), msgs[:n]); err != nil {
					t.Error(err)
					return
				}
				msgs = msgs[n:]
			}
		})
	}
	wg.Wait()
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != 398 {
		t.Errorf("user_activity has %d rows, want 398", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity_rejects"); n != 2 {
		t.Errorf("%d rejects, want 2 (no duplicate rejects)", n)
	}
}

// After LEDGER_RETENTION has pruned a file's ledger rows, a byte-identical
// copy landed again loads nothing and writes no reject again: the file's
// own row still says it is loaded.
func TestFileLoadedLongAgoLoadsNothingAgain(t *testing.T) {
	s, pool := newStore(t)
	file := badRowsFile(100)
	applyEach(t, s, split(file, 40))
	if _, err := pool.Exec(context.Background(), "DELETE FROM ingest_ledger"); err != nil {
		t.Fatal(err)
	}
	again := split(file, 40)
	out, err := s.Apply(context.Background(), again)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range out {
		if o.Applied {
			t.Errorf("part %d applied again: %+v", i+1, o)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity_rejects"); n != 2 {
		t.Errorf("%d rejects, want the first copy's 2 only", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != 98 {
		t.Errorf("user_activity has %d rows, want 98", n)
	}
}
