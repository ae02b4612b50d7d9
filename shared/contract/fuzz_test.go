package contract

import (
	"bytes"
	"encoding/csv"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// seedBodies are the committed seed corpus: CSV data rows (no header), also
// loaded into a real PostgreSQL by the loader's store tests.
func seedBodies(tb testing.TB) map[string][]byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "seeds", "*.csv"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no seeds in testdata/seeds: %v", err)
	}
	seeds := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		seeds[filepath.Base(p)] = b
	}
	return seeds
}

// FuzzParse reads arbitrary bytes as a body of data rows. It must never
// panic or stall, every row must come back either as an event PostgreSQL
// stores exactly or as a reject with a reason safe to log, and every
// accepted event must survive a round trip through Fields and through CSV
// unchanged.
func FuzzParse(f *testing.F) {
	seeds := seedBodies(f)
	for _, name := range slices.Sorted(maps.Keys(seeds)) {
		f.Add(seeds[name])
	}
	f.Add([]byte(""))
	f.Add([]byte("\"\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := NewReader(body, 2)
		prev := 0
		for n := 0; ; n++ {
			rec, ok := r.Next()
			if !ok {
				break
			}
			if n > len(body) {
				t.Fatalf("more records than bytes: the reader does not advance")
			}
			if rec.Line < 2 || rec.Line < prev {
				t.Fatalf("record %d on line %d after line %d", n, rec.Line, prev)
			}
			prev = rec.Line
			if !bytes.Contains(body, rec.Raw) {
				t.Fatalf("raw %q is not part of the body", rec.Raw)
			}
			if rec.Err != nil {
				checkReason(t, rec.Err)
				continue
			}
			checkStorable(t, rec.Event)
			checkRoundTrips(t, rec.Event)
		}
	})
}

// checkReason: a reason is short, valid UTF-8 on one line, so it can go
// into a log line and a text column as it is.
func checkReason(t *testing.T, err *FieldError) {
	t.Helper()
	if err.Reason == "" || len(err.Reason) > 400 || !utf8.ValidString(err.Reason) || strings.ContainsAny(err.Reason, "\x00\r\n") {
		t.Fatalf("unsafe reason %q", err.Reason)
	}
	if err.Column != "" && !strings.HasPrefix(err.Reason, err.Column+" ") {
		t.Fatalf("reason %q does not start with its column %q", err.Reason, err.Column)
	}
}

// checkStorable: the event fits the table's types without rounding,
// truncation or refusal.
func checkStorable(t *testing.T, ev Event) {
	t.Helper()
	for _, s := range []string{ev.ID, ev.SessionID} {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 || utf8.RuneCountInString(s) > MaxIDLength {
			t.Fatalf("text %q does not fit VARCHAR(%d)", s, MaxIDLength)
		}
	}
	if ev.ID == "" {
		t.Fatal("accepted an empty event_id")
	}
	if ev.Type != TypeView && ev.Type != TypePurchase {
		t.Fatalf("accepted event_type %q", ev.Type)
	}
	if ev.Price < 0 || ev.Price > MaxPriceCents {
		t.Fatalf("price %d cents does not fit DECIMAL(10,2)", ev.Price)
	}
	if y := ev.Time.Year(); y < 1 || y > 9999 || ev.Time.Nanosecond()%1000 != 0 || ev.Time.Location() != time.UTC {
		t.Fatalf("time %v is not a microsecond TIMESTAMP PostgreSQL keeps exactly", ev.Time)
	}
}

func checkRoundTrips(t *testing.T, ev Event) {
	t.Helper()
	back, err := Parse(ev.Fields())
	if err != nil || back != ev {
		t.Fatalf("Parse(Fields()) = %+v, %v; want %+v", back, err, ev)
	}
	// encoding/csv reads CRLF inside a quoted field as LF and its writer
	// does not escape CR, so a value holding "\r\n" (read from "\r\r\n")
	// cannot survive a CSV round trip in any encoding/csv pair.
	if strings.Contains(strings.Join(ev.Fields(), ""), "\r\n") {
		return
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(ev.Fields()); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	rec, ok := NewReader(buf.Bytes(), 1).Next()
	if !ok || rec.Err != nil || rec.Event != ev {
		t.Fatalf("CSV round trip of %+v gave %+v (%v)", ev, rec.Event, rec.Err)
	}
}

// TestSeedsParseAsExpected pins what the seed corpus holds, so that a
// change to the rules shows up here and not only as a different fuzz run.
func TestSeedsParseAsExpected(t *testing.T) {
	want := map[string][2]int{ // file → accepted, rejected
		"bad-rows.csv": {0, 13}, "basic.csv": {3, 0}, "bytes.csv": {1, 3}, "crlf-blank-lines.csv": {3, 0},
		"extremes.csv": {10, 0}, "malformed.csv": {1, 3}, "prices.csv": {8, 0}, "quoting.csv": {7, 0},
		"text-edges.csv": {11, 0}, "times.csv": {7, 0},
	}
	seeds := seedBodies(t)
	if len(seeds) != len(want) {
		t.Fatalf("%d seeds, want %d", len(seeds), len(want))
	}
	for name, body := range seeds {
		var got [2]int
		r := NewReader(body, 1)
		for {
			rec, ok := r.Next()
			if !ok {
				break
			}
			if rec.Err != nil {
				got[1]++
				continue
			}
			got[0]++
			checkStorable(t, rec.Event)
			checkRoundTrips(t, rec.Event)
		}
		if got != want[name] {
			t.Errorf("%s: %d accepted, %d rejected; want %d, %d", name, got[0], got[1], want[name][0], want[name][1])
		}
	}
}
