package faults

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// aim is the phase of the loaders' transaction a crash waits for.
type aim string

const (
	aimCopy   aim = "COPY"
	aimCommit aim = "COMMIT"
)

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

// crasher SIGKILLs the private instance at the aimed phase, starts it
// again and records what crash recovery decided.
type crasher struct {
	pg   *cluster.Postgres
	c    *cluster.Cluster
	logf func(format string, args ...any)

	aimed, hits  map[aim]int
	missed       int      // crashes that found nothing in the aimed phase in time
	batchCommits int      // batch COMMITs caught waiting: committed, reply never sent
	otherCommits int      // autocommit statements (the delivery budget) caught the same way
	unacked      []string // message ids those batch COMMITs wrote to the ledger
	minRecovery  time.Duration
	maxRecovery  time.Duration
}

func (cr *crasher) round(ctx context.Context, n int, a aim) error {
	if cr.aimed == nil {
		cr.aimed, cr.hits = map[aim]int{}, map[aim]int{}
	}
	cr.aimed[a]++
	conn, err := pgx.Connect(ctx, cr.c.DBURL)
	if err != nil {
		return err
	}
	if a == aimCommit {
		if err := setStandby(ctx, conn, absentStandby); err != nil {
			return err
		}
	}
	seen, err := awaitPhase(ctx, conn, cr.c.DBName, a, 10*time.Second)
	_ = conn.Close(ctx) // dead in a moment anyway
	if err != nil {
		return err
	}
	if err := cr.pg.Crash(); err != nil {
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
	if a == aimCommit { // ALTER SYSTEM outlives the crash
		if err := setStandby(ctx, conn, ""); err != nil {
			return err
		}
	}
	hit := false
	for _, b := range seen {
		if b.xid == "" {
			continue
		}
		var status string
		if err := conn.QueryRow(ctx, `SELECT CASE WHEN $1::bigint >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint
			THEN 'never in the WAL' ELSE coalesce(txid_status($1::bigint), 'unknown') END`, b.xid).Scan(&status); err != nil {
			return fmt.Errorf("status of transaction %s: %w", b.xid, err)
		}
		switch {
		case a == aimCopy && (status == "aborted" || status == "never in the WAL"):
			hit = true // still inside the transaction when the server died
		case a == aimCopy:
			cr.logf("crash %d: transaction %s left its COPY before the kill (%s)", n, b.xid, status)
		case status != "committed":
			return fmt.Errorf("transaction %s was waiting for a standby after its local commit, recovery says %s", b.xid, status)
		case strings.HasPrefix(strings.ToLower(b.query), "commit"):
			hit = true
			cr.batchCommits++
			ids, err := ledgerRowsOf(ctx, conn, b.xid)
			if err != nil {
				return err
			}
			cr.unacked = append(cr.unacked, ids...)
		default:
			hit = true
			cr.otherCommits++
		}
	}
	if err := cr.c.Proxy.Up(); err != nil {
		return err
	}
	if hit {
		cr.hits[a]++
	} else {
		cr.missed++
	}
	cr.logf("crash %d aimed at %s: caught %d backend(s) %v, hit=%t; recovery took %s", n, a, len(seen), seen, hit, took.Round(time.Millisecond))

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
	if a == aimCommit {
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
		time.Sleep(time.Millisecond)
	}
	return nil, nil
}

// ledgerRowsOf returns the message ids whose ledger rows transaction xid
// wrote (its last update of each row carries it as xmin).
func ledgerRowsOf(ctx context.Context, conn *pgx.Conn, xid string) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT message_id FROM ingest_ledger WHERE xmin::text = $1`, xid)
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

// checkSettled checks that every message committed by a COMMIT whose reply
// was lost was settled by the ledger: a loader retried it after the
// restart and acknowledged it as already loaded.
func (cr *crasher) checkSettled(t *testing.T) {
	t.Helper()
	var logs strings.Builder
	for _, p := range cr.c.Procs() {
		if strings.HasPrefix(p.Name, "loader") {
			b, _ := os.ReadFile(p.LogFile())
			logs.Write(b)
		}
	}
	settled := map[string]bool{}
	for _, line := range strings.Split(logs.String(), "\n") {
		if i := strings.Index(line, "message_id="); i >= 0 && strings.Contains(line, "already loaded") {
			settled[strings.Fields(line[i+len("message_id="):])[0]] = true
		}
	}
	for _, id := range cr.unacked {
		if !settled[id] {
			t.Errorf("message %s was committed by a COMMIT cut before its reply, but no loader acknowledged it as already loaded", id)
		}
	}
}
