package contract

import (
	"strings"
	"testing"
)

func readAll(body string, firstLine int) []Record {
	r := NewReader([]byte(body), firstLine)
	var out []Record
	for {
		rec, ok := r.Next()
		if !ok {
			return out
		}
		out = append(out, rec)
	}
}

func TestReaderLinesAndRaw(t *testing.T) {
	body := "e1,2026-01-01 00:00:00,view,1,1.00,2,s\r\n" +
		"\r\n" + // blank line: skipped, but counted
		"\"e,2\",2026-01-01 00:00:00,view,1,\"2.50\",2,\"multi\nline\"\r\n" +
		"e3,2026-01-01 00:00:00,bogus,1,1.00,2,s\r\n" +
		"e4,2026-01-01 00:00:00,view,1,1.00,2,s" // no final newline
	got := readAll(body, 2)
	type want struct {
		line   int
		raw    string
		reason string
	}
	wants := []want{
		{2, "e1,2026-01-01 00:00:00,view,1,1.00,2,s", ""},
		{4, "\"e,2\",2026-01-01 00:00:00,view,1,\"2.50\",2,\"multi\nline\"", ""},
		{6, "e3,2026-01-01 00:00:00,bogus,1,1.00,2,s", `event_type "bogus" is not view or purchase`},
		{7, "e4,2026-01-01 00:00:00,view,1,1.00,2,s", ""},
	}
	if len(got) != len(wants) {
		t.Fatalf("got %d records, want %d", len(got), len(wants))
	}
	for i, w := range wants {
		g := got[i]
		if g.Line != w.line || string(g.Raw) != w.raw {
			t.Errorf("record %d: line %d raw %q; want line %d raw %q", i, g.Line, g.Raw, w.line, w.raw)
		}
		reason := ""
		if g.Err != nil {
			reason = g.Err.Reason
		}
		if reason != w.reason {
			t.Errorf("record %d: reason %q, want %q", i, reason, w.reason)
		}
	}
	if got[1].Event.ID != "e,2" || got[1].Event.SessionID != "multi\nline" || got[1].Event.Price != 250 {
		t.Errorf("quoted fields parsed wrong: %+v", got[1].Event)
	}
}

func TestReaderRecoversAfterMalformedRow(t *testing.T) {
	body := "e1,2026-01-01 00:00:00,view,1,1.00,2,s\n" +
		"e2,2026-01-01 00:00:00,vi\"ew,1,1.00,2,s\n" +
		"e3,2026-01-01 00:00:00,view,1,1.00,2,s\n"
	got := readAll(body, 2)
	if len(got) != 3 {
		t.Fatalf("got %d records, want 3", len(got))
	}
	if got[0].Err != nil || got[2].Err != nil {
		t.Fatalf("good rows rejected: %v / %v", got[0].Err, got[2].Err)
	}
	if got[1].Err == nil || !strings.Contains(got[1].Err.Reason, "not valid CSV") || got[1].Line != 3 {
		t.Fatalf("bad row: %+v", got[1])
	}
	if got[2].Line != 4 {
		t.Errorf("line after bad row = %d, want 4", got[2].Line)
	}
}
