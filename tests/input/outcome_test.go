package input

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// checkValues compares the stored text of some columns of event id with
// want (nil: NULL).
func (p *pipeline) checkValues(t *testing.T, id string, want map[string]*string) {
	t.Helper()
	var got [6]*string
	err := p.Pool.QueryRow(t.Context(), `SELECT event_time::text, event_type, product_id::text, price::text, user_id::text, session_id
		FROM user_activity WHERE event_id = $1`, id).Scan(&got[0], &got[1], &got[2], &got[3], &got[4], &got[5])
	if err != nil {
		t.Errorf("event %q: %v", id, err)
		return
	}
	columns := []string{"event_time", "event_type", "product_id", "price", "user_id", "session_id"}
	for col, w := range want {
		i := slices.Index(columns, col)
		if i < 0 {
			t.Fatalf("manifest: unknown column %q", col)
		}
		if (w == nil) != (got[i] == nil) || (w != nil && *w != *got[i]) {
			t.Errorf("event %q %s = %s, want %s", id, col, show(got[i]), show(w))
		}
	}
}

func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	return strconv.Quote(*s)
}

func describeRejects(rs []rowReject) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  line %d column %q reason %q raw %q\n", r.Line, r.Column, r.Reason, *r.Raw)
	}
	return b.String()
}

// outcome says, from what PostgreSQL and the data directory hold, what
// happened to a file: for the corpus table.
func (p *pipeline) outcome(name string) string {
	if reasons := p.strings("SELECT reason FROM rejected_files WHERE file_name = $1", name); len(reasons) > 0 {
		return "file rejected: " + strings.ReplaceAll(strings.Join(reasons, "; "), "|", `\|`)
	}
	loaded := p.Count(`SELECT count(*) FROM user_activity u JOIN ingest_ledger l ON coalesce(l.source_seq, l.stream_seq) = u.source_seq WHERE l.file_name = $1`, name)
	lines := p.strings("SELECT r.line_number::text FROM user_activity_rejects r WHERE r.file_name = $1 ORDER BY r.line_number", name)
	s := fmt.Sprintf("loaded %d", loaded)
	switch len(lines) {
	case 0:
	case 1:
		s += ", rejected 1 (line " + lines[0] + ")"
	default:
		s += fmt.Sprintf(", rejected %d (lines %s)", len(lines), strings.Join(lines, ", "))
	}
	if p.Count("SELECT count(*) FROM ingest_ledger WHERE file_name = $1", name) == 0 {
		s += ", archived as a copy of content already published"
	}
	return s
}
