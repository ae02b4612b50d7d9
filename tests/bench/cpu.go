package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// The roles of the processes whose CPU a run measures.
const (
	roleLoaders   = "loaders"
	roleWatcher   = "watcher"
	roleNATS      = "nats-server"
	roleGenerator = "generator"
	// The run database's backends, found by pid in pg_stat_activity: the
	// loaders' sessions (or the COPY connections), and autovacuum workers
	// of that database. The bench's own sessions are not among them.
	roleBackends = "postgres-backends"
	// The server's background processes (checkpointer, WAL writer,
	// background writer, launchers: pg_stat_activity rows without a
	// database). They write the run's WAL and pages, but they serve every
	// database of the server: other engineers' work counts there too.
	roleBackground = "postgres-background"
	roleBench      = "bench" // this process: the COPY client, the ledger polls, the children's logs
)

// benchApp is the application_name of the bench's own sessions, which
// the backends' CPU leaves out.
const benchApp = "tributary-bench"

// CPUUse is the CPU seconds (user + system) each role spent during a run.
type CPUUse map[string]float64

func (u CPUUse) total() float64 {
	var s float64
	for _, v := range u {
		s += v
	}
	return s
}

// perMillion scales u to a million rows, the unit the sweep compares.
func (u CPUUse) perMillion(rows int64) CPUUse {
	out := CPUUse{}
	for k, v := range u {
		out[k] = v * 1e6 / float64(rows)
	}
	return out
}

// cpuSample is the CPU time so far of the whole machine and of each
// process of a run, by role and pid.
type cpuSample struct {
	at      time.Time
	machine float64
	load    string
	procs   map[string]map[int]float64
}

func (s *cpuSample) put(role string, pid int, cpu float64) {
	if s.procs[role] == nil {
		s.procs[role] = map[int]float64{}
	}
	s.procs[role][pid] = cpu
}

// usage is what each role spent between samples a and b. A process only
// in b started in between and all its time counts; one only in a ended in
// between and its last stretch is lost (an autovacuum worker can; the
// services and the loaders' sessions last the whole run).
func usage(a, b cpuSample) CPUUse {
	u := CPUUse{}
	for role, procs := range b.procs {
		for pid, cpu := range procs {
			u[role] += max(0, cpu-a.procs[role][pid])
		}
	}
	return u
}

// busy says how loaded the machine was during a run, and whether by
// others: another engineer's tests, or PostgreSQL serving someone else.
type busy struct {
	Cores     float64 `json:"busy_cores"`  // average cores busy, everything on the machine
	Others    float64 `json:"other_cores"` // of which not the run's processes
	Contended bool    `json:"contended"`   // Others above -contention
	LoadAvg   string  `json:"load_average_at_start"`
}

// contention compares the machine's CPU between a and b with what the run
// used. The load average is shown but not judged: at a run's start it
// still counts the bench's previous run. Kernel threads doing the run's
// I/O (writeback, the journal) count as others, so the limit leaves room.
func contention(a, b cpuSample, ours CPUUse, limit float64) busy {
	secs := b.at.Sub(a.at).Seconds()
	if secs <= 0 {
		return busy{LoadAvg: a.load}
	}
	cores := (b.machine - a.machine) / secs
	others := max(0, cores-ours.total()/secs)
	return busy{Cores: cores, Others: others, Contended: others > limit, LoadAvg: a.load}
}

// querier runs a query: a pool or a connection to the run's database.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// meter measures the CPU of a run: the machine's, the bench's children's
// (by role), and PostgreSQL's. The processes are looked up at both ends:
// a child can start in between (the latency run's generator).
type meter struct {
	q        querier
	children func() map[string][]*proc // nil: none
	limit    float64
	start    cpuSample
}

func startMeter(ctx context.Context, q querier, children func() map[string][]*proc, limit float64) (*meter, error) {
	m := &meter{q: q, children: children, limit: limit}
	var err error
	m.start, err = m.sample(ctx)
	return m, err
}

// stop takes the closing sample: what each role used since the start, and
// how busy the machine was.
func (m *meter) stop(ctx context.Context) (CPUUse, busy, error) {
	end, err := m.sample(ctx)
	if err != nil {
		return nil, busy{}, err
	}
	u := usage(m.start, end)
	return u, contention(m.start, end, u, m.limit), nil
}

func (m *meter) sample(ctx context.Context) (cpuSample, error) {
	rows, err := m.q.Query(ctx, `SELECT pid, datname IS NULL FROM pg_stat_activity
		WHERE (datname = current_database() AND application_name <> $1) OR datname IS NULL`, benchApp)
	if err != nil {
		return cpuSample{}, fmt.Errorf("list postgres processes: %w", err)
	}
	type pgProc struct {
		PID        int32
		Background bool
	}
	pg, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pgProc])
	if err != nil {
		return cpuSample{}, fmt.Errorf("list postgres processes: %w", err)
	}
	s := cpuSample{at: time.Now(), machine: machineBusy(), load: loadAvg(), procs: map[string]map[int]float64{}}
	for _, p := range pg {
		role := roleBackends
		if p.Background {
			role = roleBackground
		}
		s.put(role, int(p.PID), processCPU(int(p.PID)))
	}
	if m.children != nil {
		for role, procs := range m.children() {
			for _, p := range procs {
				s.put(role, p.pid(), p.cpu())
			}
		}
	}
	s.put(roleBench, os.Getpid(), processCPU(os.Getpid()))
	return s, nil
}
