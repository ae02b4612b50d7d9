// Package e2e runs the whole pipeline in-process: generator, watcher and
// loader from their fx modules, an embedded nats-server, real PostgreSQL.
package e2e

import (
	"os"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/harness"
)

func TestPipelineLoadsEveryFileExactlyOnce(t *testing.T) {
	env := harness.New(t)
	env.Watcher(nil)
	env.Loader(nil)

	const files, rows = 20, 250
	env.Generate(files, rows, nil)
	python, err := os.ReadFile("../testdata/contract/python_csv_crlf.csv")
	if err != nil {
		t.Fatal(err)
	}
	env.Land("from-python.csv", python)
	env.Land("with-bad-rows.csv", []byte("\xef\xbb\xbf"+contract.HeaderLine+"\r\n"+
		"ok-1,2026-11-26 10:00:00,view,1,1.00,1,s\r\n"+
		"bad-price,2026-11-26 10:00:00,purchase,1,-50.00,1,s\r\n"+
		"ok-2,2026-11-26 10:00:00,purchase,2,2.00,1,s\r\n"+
		"bad-type,2026-11-26 10:00:00,unknown_event,1,1.00,1,s\r\n"+
		"ok-3,2026-11-26 10:00:00,view,3,3.00,1,s\r\n"))

	want := files*rows + 4 + 3
	env.Eventually(30*time.Second, "all rows loaded", func() bool { return env.Rows() >= want })
	time.Sleep(500 * time.Millisecond) // let any duplicate surface
	t.Logf("loaded: %s", env.Describe())

	o := env.ReadOracle(env.Data.Path(datadir.Archive))
	if o.Rows != want {
		t.Fatalf("the archive holds %d valid rows, want %d", o.Rows, want)
	}
	if got := env.Rows(); got != want {
		t.Errorf("user_activity has %d rows, want exactly %d", got, want)
	}
	var cents int64
	if err := env.Pool.QueryRow(t.Context(), "SELECT (sum(price) * 100)::bigint FROM user_activity").Scan(&cents); err != nil {
		t.Fatal(err)
	}
	if cents != o.Cents {
		t.Errorf("sum(price) = %d cents, the files say %d", cents, o.Cents)
	}
	if n := env.Count("SELECT count(*) FROM user_activity WHERE event_id = ANY($1)", keys(o.IDs)); n != len(o.IDs) {
		t.Errorf("%d of %d event ids found", n, len(o.IDs))
	}
	if got := len(env.Files(datadir.Archive)); got != files+2 {
		t.Errorf("%d files archived, want %d", got, files+2)
	}
	if left := env.Files(datadir.Input); len(left) != 0 {
		t.Errorf("files left in input: %v", left)
	}

	// Exactly the two bad rows are rejected, with their lines and reasons.
	type reject struct {
		line   int
		reason string
	}
	rowsq, err := env.Pool.Query(t.Context(), "SELECT line_number, reason FROM user_activity_rejects WHERE file_name = 'with-bad-rows.csv' ORDER BY line_number")
	if err != nil {
		t.Fatal(err)
	}
	var got []reject
	for rowsq.Next() {
		var r reject
		rowsq.Scan(&r.line, &r.reason)
		got = append(got, r)
	}
	wantRejects := []reject{{3, `price "-50.00" is negative`}, {5, `event_type "unknown_event" is not view or purchase`}}
	if len(got) != len(wantRejects) || got[0] != wantRejects[0] || got[1] != wantRejects[1] {
		t.Errorf("rejects = %+v, want %+v", got, wantRejects)
	}
	if n := env.Count("SELECT count(*) FROM user_activity_rejects"); n != 2 {
		t.Errorf("%d rejects in all, want 2", n)
	}

	// The Python file's values arrive exactly as written.
	var ts, price, session string
	env.Pool.QueryRow(t.Context(), "SELECT event_time::text, price::text, session_id FROM user_activity WHERE event_id = 'py-4'").Scan(&ts, &price, &session)
	if ts != "2026-11-26 10:00:03" || price != "1234.50" || session != `quoted "name"` {
		t.Errorf("py-4 = %s %s %q", ts, price, session)
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
