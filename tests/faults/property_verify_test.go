package faults

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/ledger"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// propResult is what a sequence's check found.
type propResult struct {
	lost, extra, duplicated int
	dead, deadCommitted     int      // dead letters, and those the ledger shows committed
	problems                []string // every broken promise, one line each
}

func (r *propResult) fail(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// propVerify checks PostgreSQL, the data directory and the streams
// against the oracle, exactly. It reports; the caller fails the test.
func propVerify(ctx context.Context, c *cluster.Cluster, o *propOracle) (propResult, error) {
	var r propResult
	q := func(sql string, args ...any) (n int64, err error) {
		err = c.Pool.QueryRow(ctx, sql, args...).Scan(&n)
		if err != nil {
			err = fmt.Errorf("%s: %w", sql, err)
		}
		return n, err
	}
	ids := make([]string, 0, len(o.prices))
	for id := range o.prices {
		ids = append(ids, id)
	}

	// Rows: exactly the oracle's event ids, the price sum to the cent.
	total, err := q("SELECT count(*) FROM user_activity")
	if err != nil {
		return r, err
	}
	found, err := q("SELECT count(*) FROM user_activity WHERE event_id = ANY($1)", ids)
	if err != nil {
		return r, err
	}
	r.lost, r.extra = len(ids)-int(found), int(total-found)
	if r.lost != 0 || r.extra != 0 {
		r.fail("user_activity has %d rows, %d of the %d expected event ids: lost %d, extra %d", total, found, len(ids), r.lost, r.extra)
	}
	if cents, err := q("SELECT coalesce(sum(price) * 100, 0)::bigint FROM user_activity"); err != nil {
		return r, err
	} else if cents != o.cents() {
		r.fail("sum(price) is %d cents, the files say %d", cents, o.cents())
	}

	// Duplicates: only the shared rows may come back as "already loaded",
	// each copy after the first exactly once; the ledger counts each row once.
	dups, err := q(`SELECT count(*) FROM user_activity_rejects WHERE reason LIKE '%already loaded%' OR reason LIKE '%earlier in the same batch%'`)
	if err != nil {
		return r, err
	}
	rejects, err := q("SELECT count(*) FROM user_activity_rejects")
	if err != nil {
		return r, err
	}
	ledgerRows, err := q("SELECT coalesce(sum(rows_loaded), 0) FROM ingest_ledger")
	if err != nil {
		return r, err
	}
	r.duplicated = max(0, int(dups)-o.duplicates()) + max(0, int(ledgerRows)-o.rows())
	if int(dups) != o.duplicates() {
		r.fail("%d duplicate rejects, want %d (one per later copy of a shared row)", dups, o.duplicates())
	}
	if int(rejects) != o.invalid+o.duplicates() {
		r.fail("%d rejects in all, want %d (%d refused by the contract, %d duplicates)", rejects, o.invalid+o.duplicates(), o.invalid, o.duplicates())
	}
	if int(ledgerRows) != o.rows() {
		r.fail("the ledger counts %d rows loaded, want %d", ledgerRows, o.rows())
	}

	// Every distinct content completely in the ledger, every row of it
	// loaded or rejected once.
	contentIDs := make([]string, 0, len(o.contents))
	for id := range o.contents {
		contentIDs = append(contentIDs, id)
	}
	progress, err := ledger.Files(ctx, c.Pool, contentIDs)
	if err != nil {
		return r, err
	}
	for _, l := range o.good {
		want, p := o.contents[l.content], progress[l.content]
		if !p.Loaded() || int(p.Rows+p.Rejected) != want.valid+want.invalid {
			r.fail("%s (op %d, content %.12s): ledger has parts %v of %d, %d rows loaded + %d rejected; want every part and %d rows",
				l.name, l.op+1, l.content, p.Committed, p.Parts, p.Rows, p.Rejected, want.valid+want.invalid)
		}
	}

	if err := checkFiles(c, o, &r); err != nil {
		return r, err
	}
	if err := checkStreams(ctx, c, &r); err != nil {
		return r, err
	}
	if out, err := c.Reconcile(ctx); err != nil || !strings.Contains(out, "no problems") {
		r.fail("ctl reconcile (%v): %s", err, strings.TrimSpace(out))
	}
	return r, nil
}

// checkFiles accounts for every landed file: each good one in archive/
// (under its name, or a numbered one when the name was taken), each bad one
// in rejected/ with its reason and a rejected_files row; nothing left in
// input/ or a claim directory.
func checkFiles(c *cluster.Cluster, o *propOracle, r *propResult) error {
	for _, side := range []struct {
		dir   string
		want  []landing
		skip  string
		label string
	}{{datadir.Archive, o.good, "", "archive"}, {datadir.Rejected, o.bad, datadir.ReasonSuffix, "rejected"}} {
		held, err := contentsOf(c.Data.Path(side.dir), side.skip)
		if err != nil {
			return err
		}
		found := matchLandings(held, side.want)
		for k, l := range side.want {
			name, ok := found[k]
			if !ok {
				r.fail("%s (op %d, content %.12s) was landed but is not in %s/", l.name, l.op+1, l.content, side.label)
				continue
			}
			if side.skip != "" {
				if _, err := os.Stat(filepath.Join(c.Data.Path(side.dir), name+side.skip)); err != nil {
					r.fail("rejected/%s has no %s beside it", name, side.skip)
				}
			}
		}
		for id, names := range held {
			for _, n := range names {
				r.fail("%s/%s (content %.12s) is one file more than was landed", side.label, n, id)
			}
		}
	}
	var recorded int64
	if err := c.Pool.QueryRow(context.Background(), "SELECT count(*) FROM rejected_files").Scan(&recorded); err != nil {
		return err
	}
	if int(recorded) != len(o.bad) {
		r.fail("rejected_files has %d rows, %d bad files were landed", recorded, len(o.bad))
	}
	left := []string{datadir.Input}
	claims, _ := os.ReadDir(c.Data.Path(datadir.Claimed))
	for _, d := range claims {
		left = append(left, filepath.Join(datadir.Claimed, d.Name()))
	}
	for _, sub := range left {
		if n := countDir(c.Data.Path(sub)); n != 0 {
			r.fail("%d files left in %s/", n, sub)
		}
	}
	return nil
}

// contentsOf maps each content id of dir's files to their names;
// names ending in skip are not files of their own.
func contentsOf(dir, skip string) (map[string][]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, e := range entries {
		if skip != "" && strings.HasSuffix(e.Name(), skip) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		id := contentID(data)
		out[id] = append(out[id], e.Name())
	}
	return out, nil
}

// matchLandings pairs each landing (by index in want) with a file of
// held of its content, and removes the file from held: first under its
// own name, then under a numbered one (events_1.2.csv: the name was taken),
// then any name starting with its stem. Exact matches go first so that a
// looser one never takes a file another landing owns by name.
func matchLandings(held map[string][]string, want []landing) map[int]string {
	found := map[int]string{}
	passes := []func(file, name string) bool{
		func(file, name string) bool { return file == name },
		func(file, name string) bool {
			ext := filepath.Ext(name)
			mid, ok := strings.CutPrefix(file, stem(name)+".")
			mid, ok2 := strings.CutSuffix(mid, ext)
			_, err := strconv.Atoi(mid)
			return ok && ok2 && err == nil
		},
		func(file, name string) bool { return strings.HasPrefix(file, stem(name)) },
	}
	for _, match := range passes {
		for k, l := range want {
			if _, done := found[k]; done {
				continue
			}
			names := held[l.content]
			for j, n := range names {
				if match(n, l.name) {
					found[k] = n
					held[l.content] = append(names[:j:j], names[j+1:]...)
					break
				}
			}
		}
	}
	return found
}

// stem is a name without its extension: a file archived under a numbered
// name (events_1.2.csv) still starts with it.
func stem(name string) string { return strings.TrimSuffix(name, filepath.Ext(name)) }

// checkStreams wants the ingest stream drained and no dead letter: no
// content in this test is refused by PostgreSQL, and no message is cut
// off abruptly (kill, pause) as often as CONSUMER_MAX_DELIVER, so every
// dead letter is a wrong one. Those the ledger shows committed are wrong
// twice over: loaded, and reported as not.
func checkStreams(ctx context.Context, c *cluster.Cluster, r *propResult) error {
	msgs, pending, err := c.Backlog(ctx)
	if err != nil {
		return err
	}
	if msgs != 0 || pending != 0 {
		r.fail("the stream still holds %d messages, %d ack pending", msgs, pending)
	}
	st, err := c.JS.Stream(ctx, c.Settings.DeadLetterStream())
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil // never created: no dead letter
	}
	if err != nil {
		return err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue // deleted
		}
		r.dead++
		id := strings.TrimPrefix(m.Header.Get(nats.MsgIdHdr), "dead.")
		var committed bool
		if err := c.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM ingest_ledger WHERE message_id = $1)", id).Scan(&committed); err != nil {
			return err
		}
		state := "never loaded"
		if committed {
			r.deadCommitted++
			state = "committed per the ledger"
		}
		r.fail("dead letter %s (%s, %s, part %s): %s", id, ingest.DecodeName(m.Header.Get(ingest.HeaderFileName)), state,
			m.Header.Get(ingest.HeaderPart), ingest.DecodeName(m.Header.Get(ingest.HeaderDeadReason)))
	}
	return nil
}
