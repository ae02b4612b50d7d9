package supervise

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/db/dbtest"
	"github.com/tributary-dev/tributary/shared/schema"
)

// fakeRunner counts how often each contract's loader ran and is running.
type fakeRunner struct {
	mu      sync.Mutex
	started map[string]int
	live    map[string]bool
}

func (f *fakeRunner) runner(t *schema.Table) (Runner, error) {
	return &fakeRun{f: f, name: t.Contract}, nil
}

func (f *fakeRunner) state() (map[string]int, map[string]bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	started, live := map[string]int{}, map[string]bool{}
	for k, v := range f.started {
		started[k] = v
	}
	for k, v := range f.live {
		live[k] = v
	}
	return started, live
}

type fakeRun struct {
	f    *fakeRunner
	name string
}

func (r *fakeRun) Run(ctx context.Context) error {
	r.f.mu.Lock()
	r.f.started[r.name]++
	r.f.live[r.name] = true
	r.f.mu.Unlock()
	<-ctx.Done()
	r.f.mu.Lock()
	r.f.live[r.name] = false
	r.f.mu.Unlock()
	return nil
}

func (r *fakeRun) Ready(context.Context) error { return nil }

type noObserver struct{}

func (noObserver) ContractState(string, bool) {}

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

const (
	goodDecl   = "table: good\nfiles: \"good-*\"\nheader: by_name\n"
	laterDecl  = "table: later\nfiles: \"later-*\"\nheader: by_name\n"
	misfitDecl = "table: good\nfiles: \"misfit-*\"\nheader: exact\ncolumns: [id, colour]\n"
)

// A contract that does not fit its table is refused with a precise reason
// while the others load; a contract added, changed or removed while the
// supervisor runs is picked up without a restart.
func TestSupervisorFollowsDeclarationsAndTables(t *testing.T) {
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "CREATE TABLE good (id bigint PRIMARY KEY, v text)"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, dir, "good.yaml", goodDecl)
	write(t, dir, "misfit.yaml", misfitDecl)
	write(t, dir, "later.yaml", laterDecl) // its table comes later
	fake := &fakeRunner{started: map[string]int{}, live: map[string]bool{}}
	s := New(Config{Dir: dir, Every: 20 * time.Millisecond}, Deps{
		Catalog: pool, NewRunner: fake.runner, Observer: noObserver{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()

	eventually(t, "good loading, misfit and later refused", func() bool {
		_, live := fake.state()
		st := states(s)
		return live["good"] && !st["misfit"].Loading && st["later"].Reason != ""
	})
	st := states(s)
	if want := `contract misfit: column "colour" is declared, and table "public"."good" has no such column`; st["misfit"].Reason != want {
		t.Errorf("misfit refused with %q, want %q", st["misfit"].Reason, want)
	}
	if want := `contract later: table "later" does not exist (has its migration been applied?)`; st["later"].Reason != want {
		t.Errorf("later refused with %q, want %q", st["later"].Reason, want)
	}

	// The migration of later's table is applied: it starts loading.
	if _, err := pool.Exec(ctx, "CREATE TABLE later (id bigint)"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "later loading", func() bool { _, live := fake.state(); return live["later"] })

	// Its declaration changes: its loader restarts; good's does not.
	write(t, dir, "later.yaml", laterDecl+"unknown_columns: ignore\n")
	eventually(t, "later restarted", func() bool { started, _ := fake.state(); return started["later"] == 2 })
	// Its table changes: the loader restarts with the new columns.
	if _, err := pool.Exec(ctx, "ALTER TABLE later ADD COLUMN note text"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "later restarted for its table", func() bool { started, _ := fake.state(); return started["later"] == 3 })

	// A declaration removed stops its loader.
	if err := os.Remove(filepath.Join(dir, "later.yaml")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "later stopped", func() bool { _, live := fake.state(); return !live["later"] })
	if _, ok := states(s)["later"]; ok {
		t.Error("a removed contract is still listed")
	}
	if started, live := fake.state(); started["good"] != 1 || !live["good"] {
		t.Errorf("good started %d times (live %v): the others' changes must not touch it", started["good"], live["good"])
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("ready: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, live := fake.state(); live["good"] {
		t.Error("Run returned with a loader still running")
	}
}

func states(s *Supervisor) map[string]State {
	out := map[string]State{}
	for _, st := range s.States() {
		out[st.Name] = st
	}
	return out
}
