package faults

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ledger"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// result counts what went wrong.
type result struct {
	lost       int // rows of the files missing from user_activity
	duplicated int // rows loaded twice: as duplicate rejects, or counted twice by the ledger
	extra      int // rows in user_activity beyond the files' (the primary key keeps out a second copy)
}

// verify checks PostgreSQL, the data directory and the streams against
// the oracle, exactly.
func verify(t *testing.T, c *cluster.Cluster, o *oracle) result {
	t.Helper()
	ctx := context.Background()
	var r result
	q := func(sql string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := c.Pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	// The rows: per file content, the count, the price sum to the cent and
	// a digest of the event ids, computed in PostgreSQL over the whole
	// table and compared with the oracle's: a row lost, loaded twice,
	// changed or never fed shows, named by its file.
	got, err := tableDigests(ctx, c.Pool)
	if err != nil {
		t.Fatal(err)
	}
	mismatches := diff(o.contents, got)
	for i, m := range mismatches {
		r.lost += m.lost()
		r.extra += m.extra()
		if i < 5 {
			t.Errorf("%s (fed as %v)", m, o.namesOf(m.content))
		}
	}
	if len(mismatches) > 0 {
		t.Errorf("%d of %d file contents do not hold the oracle's rows (lost %d, extra %d)", len(mismatches), len(o.contents), r.lost, r.extra)
	}

	// Duplicates: a row applied twice would come back as an "already
	// loaded" reject; a message applied twice would double the ledger's
	// counts.
	dupRejects := q(`SELECT count(*) FROM user_activity_rejects WHERE reason LIKE '%already loaded%' OR reason LIKE '%earlier in the same batch%'`)
	ledgerRows := q("SELECT coalesce(sum(rows_loaded), 0) FROM ingest_ledger WHERE file_id NOT LIKE '%:%'") // user_activity's: other contracts key files <contract>:<id>
	r.duplicated = int(dupRejects) + max(0, int(ledgerRows)-o.rows)
	if dupRejects != 0 || int(ledgerRows) != o.rows {
		t.Errorf("duplicate rejects %d (want 0); ledger counts %d rows loaded, want %d", dupRejects, ledgerRows, o.rows)
		logRejects(t, c)
	}
	if n := q("SELECT count(*) FROM user_activity_rejects"); int(n) != o.rejects {
		t.Errorf("%d rejected rows, want %d (2 per file with bad rows)", n, o.rejects)
	}

	// Every content loaded completely, each part once.
	contentIDs := make([]string, 0, len(o.contents))
	for id := range o.contents {
		contentIDs = append(contentIDs, id)
	}
	progress, err := ledger.Files(ctx, c.Pool, contentIDs)
	if err != nil {
		t.Fatal(err)
	}
	incomplete := 0
	for id, d := range o.contents {
		p := progress[id]
		if !p.Loaded() || p.Rows != d.rows {
			incomplete++
			if incomplete <= 5 {
				t.Errorf("file content %s: ledger %+v, want every part and %d rows", id, p, d.rows)
			}
		}
	}
	if incomplete > 0 {
		t.Errorf("%d of %d file contents not completely loaded", incomplete, len(o.contents))
	}

	// Every file accounted for: archived under its own name, or rejected
	// with a reason; nothing left behind, nothing archived twice.
	archive := names(t, c.Data.Path(datadir.Archive))
	for name := range archive {
		if strings.HasPrefix(name, "orders-") {
			delete(archive, name) // the second contract's, checked by ordersFeed.verify
		}
	}
	for name := range o.good {
		if !archive[name] {
			t.Errorf("%s was fed but is not in archive/", name)
		}
	}
	if len(archive) != len(o.good) {
		t.Errorf("archive/ holds %d files, %d were fed (a file archived twice, or a stray?)", len(archive), len(o.good))
	}
	rejected := names(t, c.Data.Path(datadir.Rejected))
	for _, name := range o.bad {
		if !rejected[name] || !rejected[name+datadir.ReasonSuffix] {
			t.Errorf("%s was fed with a bad header but is not in rejected/ with its reason", name)
		}
	}
	if len(rejected) != 2*len(o.bad) {
		t.Errorf("rejected/ holds %d entries, want %d (each bad file and its .reason)", len(rejected), 2*len(o.bad))
	}
	if n := q("SELECT count(DISTINCT file_name) FROM rejected_files WHERE file_name = ANY($1)", o.bad); int(n) != len(o.bad) {
		t.Errorf("rejected_files records %d of the %d bad files", n, len(o.bad))
	}
	if n := q("SELECT count(*) FROM rejected_files"); int(n) != len(o.bad) {
		t.Errorf("rejected_files has %d rows, want %d", n, len(o.bad))
	}
	for _, sub := range []string{datadir.Input, filepath.Join(datadir.Claimed, "w1")} {
		if left := names(t, c.Data.Path(sub)); len(left) != 0 {
			t.Errorf("%d files left in %s", len(left), sub)
		}
	}

	// Nothing dead-lettered: outages must not burn delivery attempts.
	// A clustered server answers 503 for a moment after partitions heal:
	// asked again, not taken for an answer.
	var dead, msgs uint64
	var pending int
	for try := 0; try < 20; try++ {
		if dead, err = c.DeadLetters(ctx); err == nil {
			if msgs, pending, err = c.Backlog(ctx); err == nil {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("the streams cannot be read: %v", err)
	} else if dead != 0 || msgs != 0 || pending != 0 {
		t.Errorf("dead-letter stream holds %d messages, want 0; stream holds %d messages, %d ack pending; want none", dead, msgs, pending)
	}

	// The operator's check agrees. It reads the same streams, so a run
	// that could not read them (a clustered server still electing leaders
	// after heals: "context deadline exceeded") is asked again; a run that
	// reports problems is the answer.
	out, err := c.Reconcile(ctx)
	for try := 0; try < 10 && err != nil && !strings.Contains(out, "problem(s)"); try++ {
		time.Sleep(2 * time.Second)
		out, err = c.Reconcile(ctx)
	}
	if err != nil || !strings.Contains(out, "no problems") {
		t.Errorf("ctl reconcile: %v\n%s", err, out)
	}
	return r
}

func names(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]bool, len(entries))
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}

// logRejects shows a sample of the rejects and their messages' ledger rows.
func logRejects(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	rows, err := c.Pool.Query(context.Background(), `
		SELECT r.file_name, r.line_number, r.stream_seq, r.reason, coalesce(l.message_id, '?'), coalesce(l.rows_loaded, -1)
		FROM user_activity_rejects r LEFT JOIN ingest_ledger l ON l.stream_seq = r.stream_seq
		ORDER BY r.id LIMIT 8`)
	if err != nil {
		t.Log(err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var name, reason, msgID string
		var line, loaded int
		var seq int64
		if err := rows.Scan(&name, &line, &seq, &reason, &msgID, &loaded); err == nil {
			t.Logf("reject: %s line %d stream_seq %d (%s, rows_loaded %d): %s", name, line, seq, msgID, loaded, reason)
		}
	}
}
