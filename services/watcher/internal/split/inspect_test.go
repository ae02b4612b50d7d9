package split

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/services/watcher/internal/contracttest"
	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/contracts"
)

const header = "event_id,event_time,event_type,product_id,price,user_id,session_id"

func row(i int) string {
	return fmt.Sprintf("e%d,2026-01-01 00:00:00,view,%d,1.00,2,s", i, i)
}

func file(rows int, eol string) string {
	var b strings.Builder
	b.WriteString(header + eol)
	for i := range rows {
		b.WriteString(row(i) + eol)
	}
	return b.String()
}

func inspect(s string, maxPart int64) (Layout, error) {
	return inspectAs(userActivity, s, maxPart)
}

var userActivity = contracttest.UserActivity()

func inspectAs(d *contracts.Declaration, s string, maxPart int64) (Layout, error) {
	return Inspect(strings.NewReader(s), int64(len(s)), maxPart, d)
}

func TestInspectRejects(t *testing.T) {
	tests := []struct {
		name, give, want string
	}{
		{"empty", "", "file is empty (0 bytes)"},
		{"only blank lines", "\n\r\n\n", "file is empty"},
		{"only a bom", "\xef\xbb\xbf", "file is empty"},
		{"header only", header + "\n", "file has a header but no rows"},
		{"header only with blank lines", header + "\r\n\r\n", "file has a header but no rows"},
		{"missing header", row(1) + "\n" + row(2) + "\n", `the header (line 1) is "e1,2026-01-01 00:00:00,view,1,1.00,2,s"`},
		{"reordered header", "event_time,event_id,event_type,product_id,price,user_id,session_id\n" + row(1) + "\n", "the header (line 1) is"},
		{"binary", "\x00\x01\x02\xff\xfe garbage\x00", `the header (line 1) is "\x00\x01\x02\xff\xfe garbage\x00"`},
		{"unterminated quote", header + "\n" + row(1) + "\n\"e2,2026-01-01 00:00:00,view\n" + row(3) + "\n", "unterminated quoted field in the row starting at line 3"},
		{"header with bad quote", "event_\"id\"\n" + row(1), "the header (line 1) is not valid CSV"},
		{"huge first line", strings.Repeat("x", 70000) + "\n" + row(1), "the first row (line 1) is longer than 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inspect(tt.give, 1<<20)
			var re *RejectError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a RejectError", err)
			}
			if !strings.Contains(re.Reason, tt.want) {
				t.Errorf("reason = %q, want it to contain %q", re.Reason, tt.want)
			}
		})
	}
}

func TestInspectWholeFile(t *testing.T) {
	for _, eol := range []string{"\n", "\r\n"} {
		for _, prefix := range []string{"", "\xef\xbb\xbf"} {
			s := prefix + file(10, eol)
			got, err := inspect(s, 1<<20)
			if err != nil {
				t.Fatalf("eol %q bom %q: %v", eol, prefix, err)
			}
			sum := sha256.Sum256([]byte(s))
			want := Span{Offset: int64(len(prefix) + len(header+eol)), FirstLine: 2, Rows: 10, From: 0, To: int64(len(s))}
			want.Length = int64(len(s)) - want.Offset
			if got.FileID != hex.EncodeToString(sum[:]) || got.Rows != 10 || len(got.Parts) != 1 || got.Parts[0] != want {
				t.Errorf("eol %q bom %q: layout %+v, want part %+v", eol, prefix, got, want)
			}
		}
	}
}

func TestInspectCutsOnRowBoundaries(t *testing.T) {
	s := header + "\n" + row(-1) + "\n\"multi\nline\",2026-01-01 00:00:00,view,1,1.00,2,s\n\n" + file(200, "\n")[len(header)+1:]
	const maxPart = 300
	got, err := inspect(s, maxPart)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Parts) < 5 {
		t.Fatalf("only %d parts for %d bytes at %d per part", len(got.Parts), len(s), maxPart)
	}
	from, rows := int64(0), 0
	for i, p := range got.Parts {
		if p.From != from || p.Offset < p.From || p.Offset+p.Length > p.To || p.Length > maxPart {
			t.Fatalf("part %d = %+v, want its range to start at %d, hold its body and the body to fit %d bytes", i, p, from, maxPart)
		}
		from = p.To
		body := []byte(s[p.Offset : p.Offset+p.Length])
		// Each part reads alone as whole records, with the file's line numbers.
		r := contract.NewReader(body, p.FirstLine)
		n := 0
		for {
			rec, ok := r.Next()
			if !ok {
				break
			}
			if rec.Err != nil {
				t.Fatalf("part %d row at line %d: %v", i, rec.Line, rec.Err)
			}
			wantLine := strings.Count(s[:p.Offset], "\n") + 1 + strings.Count(string(body[:bytes.Index(body, rec.Raw)]), "\n")
			if rec.Line != wantLine {
				t.Fatalf("part %d: row %q on line %d, want %d", i, rec.Raw, rec.Line, wantLine)
			}
			n++
		}
		if n != p.Rows {
			t.Fatalf("part %d says %d rows, holds %d", i, p.Rows, n)
		}
		rows += n
	}
	if from != int64(len(s)) {
		t.Errorf("ranges end at %d, want the file's end %d", from, len(s))
	}
	if rows != 202 || got.Rows != 202 {
		t.Errorf("rows = %d (layout %d), want 202", rows, got.Rows)
	}
}

func TestInspectSetsAsideARowLargerThanAMessage(t *testing.T) {
	giant := strings.Repeat("y", 500)
	s := header + "\n" + row(1) + "\n" + giant + "\n" + row(3) + "\n" + row(4) + "\n"
	got, err := inspect(s, 300)
	if err != nil {
		t.Fatal(err)
	}
	at := func(sub string) int64 { return int64(strings.Index(s, sub)) }
	want := []Span{
		{Offset: at(row(1)), Length: int64(len(row(1)) + 1), FirstLine: 2, Rows: 1, From: 0, To: at(giant)},
		{Offset: at(giant), Length: 501, FirstLine: 3, Rows: 1, Oversized: true, From: at(giant), To: at(row(3))},
		{Offset: at(row(3)), Length: int64(2*len(row(3)) + 2), FirstLine: 4, Rows: 2, From: at(row(3)), To: int64(len(s))},
	}
	if got.Rows != 4 || len(got.Parts) != len(want) {
		t.Fatalf("layout %+v, want parts %+v", got, want)
	}
	for i := range want {
		if got.Parts[i] != want[i] {
			t.Errorf("part %d = %+v, want %+v", i, got.Parts[i], want[i])
		}
	}
}

func TestInspectNoticesAGrowingFile(t *testing.T) {
	s := file(3, "\n")
	if _, err := Inspect(strings.NewReader(s), int64(len(s))-5, 1<<20, userActivity); !errors.Is(err, ErrChanged) {
		t.Errorf("longer than stat said: err = %v", err)
	}
	if _, err := Inspect(strings.NewReader(s), int64(len(s))+5, 1<<20, userActivity); !errors.Is(err, ErrChanged) {
		t.Errorf("shorter than stat said: err = %v", err)
	}
}

// Blank lines before a row are not part of it: a small row after a
// megabyte of them is a row like any other, not one larger than a message.
func TestInspectDoesNotCountBlankLinesTowardsARow(t *testing.T) {
	blank := strings.Repeat("\n", 1<<20)
	s := header + "\n" + row(1) + "\n" + blank + row(2) + "\n" + strings.Repeat("\r\n", 1000) + row(3) + "\n"
	got, err := inspect(s, 4096)
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for i, p := range got.Parts {
		if p.Oversized {
			t.Errorf("part %d = %+v is set aside as a row larger than a message", i, p)
		}
		if p.Length > 4096 {
			t.Errorf("part %d = %+v has a body over the limit", i, p)
		}
		rows += p.Rows
	}
	if rows != 3 {
		t.Errorf("parts hold %d rows, want 3", rows)
	}
	if last := got.Parts[len(got.Parts)-1]; last.FirstLine != 1<<20+3 {
		t.Errorf("last part starts on line %d, want %d (row 2)", last.FirstLine, 1<<20+3)
	}
}

// Whatever the split limit, every boundary between two ranges is the end
// of a row and the ranges tile the file: so a range names the same rows in
// every split, and two splits of one file can be told apart and combined.
func TestRangesEndAtRowEndsWhateverTheLimit(t *testing.T) {
	s := header + "\r\n" + "\"a\nb\"," + row(0)[3:] + "\r\n\r\n" + file(300, "\r\n")[len(header)+2:] + "\n\n"
	whole, err := inspect(s, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ends := map[int64]bool{0: true, int64(len(s)): true}
	r := contract.NewReader([]byte(s[whole.Parts[0].Offset:]), 2)
	for {
		rec, ok := r.Next()
		if !ok {
			break
		}
		ends[whole.Parts[0].Offset+rec.End] = true
	}
	for _, limit := range []int64{64, 100, 128, 200, 333, 4096} {
		got, err := inspect(s, limit)
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		from, rows := int64(0), 0
		for i, p := range got.Parts {
			if p.From != from || !ends[p.To] {
				t.Fatalf("limit %d: part %d = %+v: its range does not start at %d or does not end at a row's end", limit, i, p, from)
			}
			from, rows = p.To, rows+p.Rows
		}
		if from != int64(len(s)) || rows != whole.Rows {
			t.Errorf("limit %d: ranges end at %d holding %d rows, want %d and %d", limit, from, rows, len(s), whole.Rows)
		}
	}
}
