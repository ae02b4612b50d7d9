package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// parquetLines is n rows as a Parquet file's rows are sent: NDJSON, one
// line per row; row 7 is refused (an unknown event type).
func parquetLines(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		kind := "view"
		if i == 7 {
			kind = "click"
		}
		lines[i] = fmt.Sprintf(`{"event_id":"pq-%04d","event_time":"2026-11-26 10:00:00","event_type":"%s","product_id":1,"price":1.50,"user_id":1,"session_id":"s"}`+"\n", i, kind)
	}
	return lines
}

// splitRows cuts rows as the watcher cuts a Parquet file: perPart rows to
// a part, its range the rows' indices.
func splitRows(lines []string, perPart int) []store.Message {
	var msgs []store.Message
	for from := 0; from < len(lines); from += perPart {
		to := min(from+perPart, len(lines))
		p := &ingest.Part{FileID: strings.Repeat("c", 64), FileName: "f.parquet", Index: len(msgs) + 1, FirstLine: from + 1,
			Rows: to - from, Size: int64(len(lines)), LandedAt: time.Now(), From: int64(from), To: int64(to), Offset: int64(from),
			Encoding: ingest.EncodingParquet, Format: ingest.FormatNDJSON}
		seq++
		msgs = append(msgs, store.Message{ID: p.MsgID(), Seq: seq, Part: p, Body: []byte(strings.Join(lines[from:to], ""))})
	}
	for _, m := range msgs {
		m.Part.Count = len(msgs)
	}
	return msgs
}

// A Parquet file's parts count rows: two splits of it (another message
// limit) load every row exactly once, its reject once, with its row number.
func TestParquetRowRangesOfTwoSplitsLoadEveryRowOnce(t *testing.T) {
	s, pool := newStore(t)
	lines := parquetLines(100)
	a, b := splitRows(lines, 12), splitRows(lines, 31)
	applyEach(t, s, a[:4]) // rows 0-47
	applyEach(t, s, b)
	out, err := s.Apply(context.Background(), a[4:])
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range out {
		if o.Applied || o.Loaded != 0 {
			t.Errorf("late part %d of the first split: %+v, want nothing applied", i+5, o)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != 99 {
		t.Errorf("user_activity has %d rows, want 99", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity_rejects WHERE line_number = 8"); n != 1 {
		t.Errorf("%d rejects of row 8, want one", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM ingest_files WHERE loaded_at IS NOT NULL AND loaded = int8multirange(int8range(0, 100))"); n != 1 {
		t.Error("ingest_files does not show the file's 100 rows loaded")
	}
}
