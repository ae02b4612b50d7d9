package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// fileAt is a one-part file named name, delivered at stream sequence seq.
func fileAt(name string, seq uint64, body string) store.Message {
	sum := sha256.Sum256([]byte(name + body))
	p := &ingest.Part{FileID: hex.EncodeToString(sum[:]), FileName: name, Index: 1, Count: 1,
		FirstLine: 2, Rows: strings.Count(body, "\n"), LandedAt: time.Now()}
	return store.Message{ID: p.MsgID(), Seq: seq, Part: p, Body: []byte(body)}
}

// The watcher recreates the stream by itself when it finds none, and the
// new stream numbers its messages from 1 again while the ledger keeps the
// sequences of the old one: stream_seq stops being unique. A duplicate
// event must still give exactly one reject, count its message's loaded
// rows right (never below zero), and name the file that loaded the first
// copy when that is known, and no file rather than a wrong one otherwise.
func TestApplyDuplicateAfterStreamRecreation(t *testing.T) {
	tests := []struct {
		name       string
		before     []store.Message // applied one by one, in order
		prune      string          // file whose ledger rows retention pruned afterwards
		dup        store.Message   // carries e1 (and maybe a new event)
		wantLoaded int
		wantReason string
	}{
		{
			name: "loaded by a sequence the previous stream used too",
			before: []store.Message{
				fileAt("old.csv", 7, rows(100, 105)), // previous stream
				fileAt("new.csv", 7, rows(0, 3)),     // recreated stream
			},
			dup:        fileAt("dup.csv", 9, rows(1, 2)),
			wantReason: `(event_id, event_time) ("e1", "2026-01-02 03:04:05.123456") is already loaded from "new.csv"; the first copy loaded wins`,
		},
		{
			name: "duplicate carries the sequence that loaded the first copy in the previous stream",
			before: []store.Message{
				fileAt("old.csv", 7, rows(0, 3)), // previous stream
			},
			dup:        fileAt("dup.csv", 7, rows(1, 2)+rows(50, 51)), // recreated stream
			wantLoaded: 1,
			wantReason: `(event_id, event_time) ("e1", "2026-01-02 03:04:05.123456") is already loaded from "old.csv"; the first copy loaded wins`,
		},
		{
			name: "ledger row of the loading message pruned, its sequence reused",
			before: []store.Message{
				fileAt("other.csv", 7, rows(100, 105)), // previous stream
				fileAt("new.csv", 7, rows(0, 3)),       // recreated stream
			},
			prune:      "new.csv",
			dup:        fileAt("dup.csv", 9, rows(1, 2)),
			wantReason: `(event_id, event_time) ("e1", "2026-01-02 03:04:05.123456") is already loaded; the first copy loaded wins`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, pool := newStore(t)
			ctx := context.Background()
			for _, m := range tt.before {
				if _, err := s.Apply(ctx, []store.Message{m}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.prune != "" {
				if _, err := pool.Exec(ctx, "DELETE FROM ingest_ledger WHERE file_name = $1", tt.prune); err != nil {
					t.Fatal(err)
				}
			}
			out, err := s.Apply(ctx, []store.Message{tt.dup})
			if err != nil {
				t.Fatal(err)
			}
			if want := (store.Outcome{Applied: true, Loaded: tt.wantLoaded, Rejected: 1}); out[0] != want {
				t.Errorf("outcome = %+v, want %+v", out[0], want)
			}
			if n := count(t, pool, "SELECT rows_loaded FROM ingest_ledger WHERE message_id = $1", tt.dup.ID); n != tt.wantLoaded {
				t.Errorf("ledger says the duplicate's message loaded %d rows, want %d", n, tt.wantLoaded)
			}
			rows, err := pool.Query(ctx, "SELECT reason FROM user_activity_rejects WHERE file_name = 'dup.csv'")
			if err != nil {
				t.Fatal(err)
			}
			var reasons []string
			for rows.Next() {
				var r string
				if err := rows.Scan(&r); err != nil {
					t.Fatal(err)
				}
				reasons = append(reasons, r)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(reasons) != 1 || reasons[0] != tt.wantReason {
				t.Errorf("rejects of dup.csv = %q, want exactly [%q]", reasons, tt.wantReason)
			}
		})
	}
}
