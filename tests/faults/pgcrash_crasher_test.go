package faults

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// aim is the phase of the loaders' transaction a crash waits for.
type aim string

const (
	aimCopy  aim = "COPY"                          // streaming rows into user_activity
	aimFlush aim = "COMMIT in flight"              // COMMIT sent, its WAL flush under way: either outcome
	aimReply aim = "COMMIT durable, reply pending" // committed locally, the reply held back
)

var aims = []aim{aimCopy, aimFlush, aimReply}

// A synchronous standby that never connects makes every COMMIT flush its
// commit record locally and then wait for it (wait_event SyncRep): the
// transaction is durable, its reply not sent. That is the window a lost
// COMMIT reply falls into, held open until the crash.
const absentStandby = "pgcrash_absent_standby"

// caught is a loader backend seen in the aimed phase just before the kill.
type caught struct {
	pid   int
	xid   string // the transaction's id, to ask recovery's verdict
	query string
}

// crashRound is what one crash caught and what recovery made of it.
type crashRound struct {
	n      int
	aim    aim
	caught int
	hit    bool
	// Messages a caught COMMIT in flight committed: the crash hit the
	// COMMIT if its reply was lost, which the loaders' retry shows (they
	// find the ledger rows), or came just after it otherwise.
	ifSettled []string
}

// crasher SIGKILLs the private instance at the aimed phase, starts it
// again and records what crash recovery decided.
type crasher struct {
	pg   *cluster.Postgres
	c    *cluster.Cluster
	logf func(format string, args ...any)

	rounds       []crashRound
	flushAborted int      // COMMITs in flight that recovery rolled back (not durable yet)
	batchCommits int      // batch COMMITs killed after committing, before their reply
	otherCommits int      // autocommit statements (the delivery budget) caught the same way
	unacked      []string // message ids whose COMMIT reply was lost for certain
	minRecovery  time.Duration
	maxRecovery  time.Duration
}

// extraFlushCrashes bounds the crashes aimed at COMMIT in flight again
// when none of the planned ones hit it.
const extraFlushCrashes = 6

// hit reports whether a crash aimed at a has been seen to hit it so far.
func (cr *crasher) hit(a aim) bool {
	for _, r := range cr.rounds {
		if r.aim == a && r.hit {
			return true
		}
	}
	return false
}

func (cr *crasher) round(ctx context.Context, n int, a aim) error {
	conn, err := pgx.Connect(ctx, cr.c.DBURL)
	if err != nil {
		return err
	}
	if a == aimReply {
		if err := setStandby(ctx, conn, absentStandby); err != nil {
			return err
		}
	}
	seen, err := awaitPhase(ctx, conn, cr.c.DBName, a, 10*time.Second)
	_ = conn.Close(ctx) // dead in a moment anyway
	if err != nil {
		return err
	}
	pids := make([]int, len(seen))
	for i, b := range seen {
		pids[i] = b.pid
	}
	if err := cr.pg.Crash(pids...); err != nil {
		return err
	}
	// Transaction ids a crash lost before they reached the WAL are handed
	// out again after recovery: keep the loaders out (the proxy refuses
	// them, as the dead server did a moment ago) until the verdicts on the
	// caught ones are read.
	cr.c.Proxy.Down()
	restarted := time.Now()
	took, err := cr.pg.Start()
	if err != nil {
		return err
	}
	if cr.minRecovery == 0 || took < cr.minRecovery {
		cr.minRecovery = took
	}
	cr.maxRecovery = max(cr.maxRecovery, took)
	cr.c.Pool.Reset() // its connections died with the server

	conn, err = pgx.Connect(ctx, cr.c.DBURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if a == aimReply { // ALTER SYSTEM outlives the crash
		if err := setStandby(ctx, conn, ""); err != nil {
			return err
		}
	}
	r := crashRound{n: n, aim: a, caught: len(seen)}
	for _, b := range seen {
		if b.xid == "" {
			continue
		}
		if err := cr.judge(ctx, conn, &r, b); err != nil {
			return err
		}
	}
	if err := cr.c.Proxy.Up(); err != nil {
		return err
	}
	cr.rounds = append(cr.rounds, r)
	cr.logf("crash %d aimed at %s: caught %d backend(s) %v, hit=%t (pending the ledger's word on %d message(s)); recovery took %s",
		n, a, len(seen), seen, r.hit, len(r.ifSettled), took.Round(time.Millisecond))

	// The loaders resume by themselves: some batch commits after the restart.
	deadline := time.Now().Add(time.Minute)
	for {
		var fresh int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM ingest_ledger WHERE committed_at > $1`, restarted).Scan(&fresh)
		if err == nil && fresh > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no batch committed within a minute of the restart (%v): the loaders did not resume", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func setStandby(ctx context.Context, conn *pgx.Conn, name string) error {
	sql := `ALTER SYSTEM RESET synchronous_standby_names`
	if name != "" {
		sql = `ALTER SYSTEM SET synchronous_standby_names = '` + name + `'`
	}
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("set synchronous_standby_names: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_reload_conf()`); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	return nil
}

// awaitPhase polls pg_stat_activity until a loader backend of db is in the
// aimed phase, and returns those that are; none if wait passes first.
func awaitPhase(ctx context.Context, conn *pgx.Conn, db string, a aim, wait time.Duration) ([]caught, error) {
	cond := `state = 'active' AND query ILIKE 'copy%'`
	switch a {
	case aimFlush:
		cond = `state = 'active' AND query ILIKE 'commit%'`
	case aimReply:
		cond = `wait_event = 'SyncRep'`
	}
	sql := `SELECT pid, coalesce(backend_xid::text, ''), left(query, 40) FROM pg_stat_activity
		WHERE datname = $1 AND application_name = 'tributary-loader' AND ` + cond
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		rows, err := conn.Query(ctx, sql, db)
		if err != nil {
			return nil, err
		}
		seen, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (caught, error) {
			var b caught
			return b, r.Scan(&b.pid, &b.xid, &b.query)
		})
		if err != nil || len(seen) > 0 {
			return seen, err
		}
		time.Sleep(200 * time.Microsecond) // a COMMIT's flush takes a millisecond or two
	}
	return nil, nil
}

// judge asks recovery's verdict on b's transaction and records it in r.
func (cr *crasher) judge(ctx context.Context, conn *pgx.Conn, r *crashRound, b caught) error {
	// An id at or past the next one was never written to the WAL: the
	// transaction died with the server, and recovery hands the id out again.
	var status string
	if err := conn.QueryRow(ctx, `SELECT CASE WHEN $1::bigint >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint
		THEN 'aborted' ELSE coalesce(txid_status($1::bigint), 'unknown') END`, b.xid).Scan(&status); err != nil {
		return fmt.Errorf("status of transaction %s: %w", b.xid, err)
	}
	isCommit := strings.HasPrefix(strings.ToLower(b.query), "commit")
	switch {
	case status == "aborted" && r.aim != aimReply:
		r.hit = true // still inside the transaction (or its COMMIT) when the server died
		if r.aim == aimFlush {
			cr.flushAborted++
		}
	case status != "committed" && r.aim == aimReply:
		return fmt.Errorf("transaction %s: recovery says %s, want committed: it was waiting for a standby after its local commit", b.xid, status)
	case status != "committed":
		return fmt.Errorf("transaction %s (%s): recovery says %s, want committed or aborted", b.xid, r.aim, status)
	case r.aim == aimCopy:
		cr.logf("crash %d: transaction %s left its COPY and committed before the kill", r.n, b.xid)
	case r.aim == aimFlush:
		ids, err := ledgerRowsOf(ctx, conn, b.xid)
		if err != nil {
			return err
		}
		r.ifSettled = append(r.ifSettled, ids...)
	case isCommit:
		r.hit = true
		cr.batchCommits++
		ids, err := ledgerRowsOf(ctx, conn, b.xid)
		if err != nil {
			return err
		}
		cr.unacked = append(cr.unacked, ids...)
	default:
		r.hit = true
		cr.otherCommits++
	}
	return nil
}

// ledgerRowsOf returns the messages (message id@stream sequence) whose
// ledger rows transaction xid wrote (its last update of each row carries it
// as xmin). The sequence tells the retry of that very message from a copy
// of its file landed again later, which has the same id.
func ledgerRowsOf(ctx context.Context, conn *pgx.Conn, xid string) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT message_id || '@' || stream_seq FROM ingest_ledger WHERE xmin::text = $1`, xid)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// copyCutsLogged counts the batches the loaders saw fail inside COPY.
func (cr *crasher) copyCutsLogged() int {
	n := 0
	for _, p := range cr.c.Procs() {
		if strings.HasPrefix(p.Name, "loader") {
			n += cluster.CountLog(p, "copy into user_activity")
		}
	}
	return n
}

var (
	seqField = regexp.MustCompile(`stream_seq=(\d+)`)
	idField  = regexp.MustCompile(`message_id=(\S+)`)
)

// tally settles the rounds that waited for the ledger's word, checks that
// every message whose COMMIT reply was lost for certain was settled by the
// ledger (a loader retried it after the restart and acknowledged it as
// already loaded), and counts the crashes aimed at and hitting each phase.
func (cr *crasher) tally(t *testing.T) (aimed, hits map[aim]int, settledFlush int) {
	t.Helper()
	settled := map[string]bool{}
	for _, p := range cr.c.Procs() {
		if !strings.HasPrefix(p.Name, "loader") {
			continue
		}
		b, _ := os.ReadFile(p.LogFile())
		for _, line := range strings.Split(string(b), "\n") {
			seq, id := seqField.FindStringSubmatch(line), idField.FindStringSubmatch(line)
			if strings.Contains(line, "already loaded") && seq != nil && id != nil {
				settled[id[1]+"@"+seq[1]] = true
			}
		}
	}
	for _, id := range cr.unacked {
		if !settled[id] {
			t.Errorf("message %s was committed by a COMMIT killed before its reply, but no loader acknowledged it as already loaded", id)
		}
	}
	aimed, hits = map[aim]int{}, map[aim]int{}
	for _, r := range cr.rounds {
		aimed[r.aim]++
		for _, id := range r.ifSettled {
			if settled[id] {
				r.hit = true
				settledFlush++
			}
		}
		if r.hit {
			hits[r.aim]++
		}
	}
	return aimed, hits, settledFlush
}
