package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/harness"
)

// Many small files landed at once travel in bundles (several files in one
// stored message) and load exactly once; every row still names its own
// file through source_seq and the ledger, and a duplicate's reason names
// the file of the first copy even when both travelled in bundles.
func TestSmallFilesTravelInBundles(t *testing.T) {
	env := harness.New(t)
	const files, rows = 300, 5
	// All files wait in input before the watcher starts: its start-up scan
	// claims them at once, so they are sent while many wait.
	for i := range files {
		var b strings.Builder
		b.WriteString(contract.HeaderLine + "\n")
		for r := range rows {
			fmt.Fprintf(&b, "b-%d-%d,2026-12-07 10:00:%02d,view,%d,1.25,7,s\n", i, r, r, i+1)
		}
		landOld(t, env, fmt.Sprintf("small-%03d.csv", i), b.String())
	}
	env.Watcher(nil)
	env.Loader(nil)
	env.Eventually(60*time.Second, "every row loaded", func() bool { return env.Rows() >= files*rows })

	// A second wave repeats one event of small-007.csv among fresh ones.
	dup := contract.HeaderLine + "\nb-7-3,2026-12-07 10:00:03,view,8,1.25,7,s\nfresh-1,2026-12-07 10:00:00,view,1,1.00,1,s\n"
	for i := range 20 {
		body := contract.HeaderLine + fmt.Sprintf("\nw2-%d,2026-12-07 11:00:00,view,1,1.00,1,s\n", i)
		if i == 10 {
			body = dup
		}
		env.Land(fmt.Sprintf("wave2-%02d.csv", i), []byte(body))
	}
	want := files*rows + 19 + 1
	env.Eventually(60*time.Second, "the second wave loaded", func() bool { return env.Rows() >= want })
	time.Sleep(300 * time.Millisecond) // let anything extra surface

	if got := env.Rows(); got != want {
		t.Fatalf("user_activity has %d rows, want exactly %d", got, want)
	}
	if n := env.Count("SELECT count(DISTINCT event_id) FROM user_activity"); n != want {
		t.Errorf("%d distinct event ids, want %d", n, want)
	}
	stored := streamMessages(t, env)
	if stored >= files+20 {
		t.Errorf("the stream stored %d messages for %d files: none was bundled", stored, files+20)
	}
	// Every row reaches exactly one ledger row, of its own file.
	misattributed := env.Count(`SELECT count(*) FROM user_activity u
		LEFT JOIN ingest_ledger l ON coalesce(l.source_seq, l.stream_seq) = u.source_seq
		WHERE l.file_name IS DISTINCT FROM 'small-' || lpad(split_part(u.event_id, '-', 2), 3, '0') || '.csv'
		  AND u.event_id LIKE 'b-%'`)
	if misattributed != 0 {
		t.Errorf("%d rows do not reach their own file's ledger row", misattributed)
	}
	if n := env.Count(`SELECT count(*) FROM (SELECT u.source_seq FROM user_activity u
		JOIN ingest_ledger l ON coalesce(l.source_seq, l.stream_seq) = u.source_seq
		GROUP BY u.event_id, u.source_seq HAVING count(*) > 1) x`); n != 0 {
		t.Errorf("%d rows reach more than one ledger row", n)
	}
	if n := env.Count("SELECT count(*) FROM ingest_ledger"); n != files+20 {
		t.Errorf("%d ledger rows, want one per file: %d", n, files+20)
	}
	var reason string
	if err := env.Pool.QueryRow(t.Context(), "SELECT reason FROM user_activity_rejects WHERE file_name = 'wave2-10.csv'").Scan(&reason); err != nil ||
		!strings.Contains(reason, `is already loaded from "small-007.csv"`) {
		t.Errorf("duplicate's reason = %q (%v), want it to name small-007.csv", reason, err)
	}
	if n := len(env.Files(datadir.Archive)); n != files+20 {
		t.Errorf("%d files archived, want %d", n, files+20)
	}
	t.Logf("%d files in %d stored messages; %s", files+20, stored, env.Describe())
}

// landOld lands a file whose modification time is well past the watcher's
// settle time, as one a scan takes at once.
func landOld(t *testing.T, env *harness.Env, name, content string) {
	t.Helper()
	tmp := filepath.Join(env.Data.Path(datadir.Temp), name)
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(tmp, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(env.Data.Path(datadir.Input), name)); err != nil {
		t.Fatal(err)
	}
}

// streamMessages is how many messages the ingest stream has stored.
func streamMessages(t *testing.T, env *harness.Env) int {
	t.Helper()
	nc, err := nats.Connect(env.NATS.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(t.Context(), "INGEST")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return int(info.State.LastSeq)
}
