package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Backlog returns the messages the ingest stream holds and the consumer's
// ack-pending count.
func (c *Cluster) Backlog(ctx context.Context) (msgs uint64, ackPending int, err error) {
	st, err := c.JS.Stream(ctx, c.Settings.Stream)
	if err != nil {
		return 0, 0, err
	}
	si, err := st.Info(ctx)
	if err != nil {
		return 0, 0, err
	}
	cons, err := st.Consumer(ctx, c.Settings.Consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return si.State.Msgs, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		return 0, 0, err
	}
	return si.State.Msgs, ci.NumAckPending, nil
}

// DeadLetters returns how many messages the dead-letter stream holds.
func (c *Cluster) DeadLetters(ctx context.Context) (uint64, error) {
	st, err := c.JS.Stream(ctx, c.Settings.DeadLetterStream())
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	si, err := st.Info(ctx)
	if err != nil {
		return 0, err
	}
	return si.State.Msgs, nil
}

// TerminateLoaderBackends kills the loaders' PostgreSQL sessions of this
// test's database (application_name tributary-loader), waiting up to wait
// for one to be in the middle of a COPY. It returns how many sessions were
// terminated and how many of them were copying.
func (c *Cluster) TerminateLoaderBackends(ctx context.Context, wait time.Duration) (killed, copying int, err error) {
	const match = `datname = $1 AND application_name = 'tributary-loader' AND pid <> pg_backend_pid()`
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		var n int
		if err := c.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE `+match+
			` AND state = 'active' AND query ILIKE 'copy%'`, c.DBName).Scan(&n); err != nil {
			return 0, 0, err
		}
		if n > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	err = c.Pool.QueryRow(ctx, `
		SELECT count(*), count(*) FILTER (WHERE copying)
		FROM (SELECT pg_terminate_backend(pid) AS done, state = 'active' AND query ILIKE 'copy%' AS copying
		      FROM pg_stat_activity WHERE `+match+`) t WHERE done`, c.DBName).Scan(&killed, &copying)
	return killed, copying, err
}

// Reconcile runs `ctl reconcile` against the cluster and returns its
// output and exit error.
func (c *Cluster) Reconcile(ctx context.Context) (string, error) { return c.Ctl(ctx, "reconcile") }

// Ctl runs ctl with args against the cluster and returns its output and
// exit error.
func (c *Cluster) Ctl(ctx context.Context, args ...string) (string, error) {
	path, dbURL := filepath.Join(c.Bin, "ctl"), c.DBURL
	if c.Net != nil { // from the hub, where NATS is; PostgreSQL on its socket as the services reach it
		path, args = "ip", append([]string{"netns", "exec", c.Net.Hub(), path}, args...)
		dbURL = c.vars["DATABASE_URL"]
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "NATS_URL="+c.NATSURL, "DATABASE_URL="+dbURL, "DATA_DIR="+c.Data.Dir, "CONTRACTS_DIR="+c.vars["CONTRACTS_DIR"])
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var alreadyLoaded = regexp.MustCompile(`already_loaded=(\d+)`)

// SkippedByLedger sums, over the loaders' logs, the messages acknowledged
// without loading because the ledger already had them: redeliveries and
// re-publishes absorbed.
func (c *Cluster) SkippedByLedger() int {
	total := 0
	for _, p := range c.procs {
		if !strings.HasPrefix(p.Name, "loader") {
			continue
		}
		f, err := os.Open(p.LogFile())
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := alreadyLoaded.FindSubmatch(sc.Bytes()); m != nil {
				n, _ := strconv.Atoi(string(m[1]))
				total += n
			}
		}
		f.Close()
	}
	return total
}

// CountLog counts the lines of a process's log that contain s.
func CountLog(p *Proc, s string) int {
	b, err := os.ReadFile(p.LogFile())
	if err != nil {
		return 0
	}
	return strings.Count(string(b), s)
}

// LogTails returns the last lines of every process's log, for a failure.
func (c *Cluster) LogTails(lines int) string {
	var b strings.Builder
	seen := map[string]bool{} // generator incarnations share a log
	for _, p := range c.procs {
		if seen[p.LogFile()] {
			continue
		}
		seen[p.LogFile()] = true
		data, err := os.ReadFile(p.LogFile())
		if err != nil {
			continue
		}
		all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		fmt.Fprintf(&b, "--- %s (%s), last %d lines:\n", p.Name, p.LogFile(), min(lines, len(all)))
		for _, l := range all[max(0, len(all)-lines):] {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// KeepLogs copies every log into a new directory under the system's
// temporary directory, which outlives the test, and returns it.
func (c *Cluster) KeepLogs(name string) (string, error) {
	dir, err := os.MkdirTemp("", name+"-")
	if err != nil {
		return "", err
	}
	for _, p := range c.procs {
		data, err := os.ReadFile(p.LogFile())
		if err != nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p.LogFile())), data, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}
