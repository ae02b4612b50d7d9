package deadletter_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db/dbtest"
	"github.com/tributary-dev/tributary/services/loader/internal/deadletter"
)

func newBudget(t *testing.T) (*deadletter.Budget, *pgxpool.Pool) {
	t.Helper()
	pool := dbtest.NewPool(t)
	return deadletter.NewBudget(pool), pool
}

// The count goes up once per attempt begun or failed, never twice for
// one attempt, comes back down for an attempt without a verdict, and
// starts again after Forget.
func TestBudgetCountsFailedAndCrashedAttempts(t *testing.T) {
	b, _ := newBudget(t)
	ctx := context.Background()
	step := func(what string, got, want int, err error) {
		t.Helper()
		if err != nil || got != want {
			t.Fatalf("%s: %d (%v), want %d", what, got, err, want)
		}
	}
	n, err := b.Fail(ctx, "m", "refused in its batch", false) // a first delivery, applied in a batch
	step("fail outside an attempt", n, 1, err)
	n, last, err := b.Begin(ctx, "m")
	step("begin", n, 2, err)
	if last != "refused in its batch" {
		t.Errorf("last error %q", last)
	}
	n, err = b.Fail(ctx, "m", "refused alone", true)
	step("fail the attempt begun", n, 2, err)
	n, _, err = b.Begin(ctx, "m") // crashes: nothing more is recorded
	step("begin", n, 3, err)
	n, _, err = b.Begin(ctx, "m")
	step("begin after a crash", n, 4, err)
	if err := b.Release(ctx, "m"); err != nil { // that one was handed back at shutdown
		t.Fatal(err)
	}
	n, _, err = b.Begin(ctx, "m")
	step("begin after a release", n, 4, err)
	if err := b.Forget(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	n, last, err = b.Begin(ctx, "m")
	step("begin after forget", n, 1, err)
	if last != "" {
		t.Errorf("last error %q after forget", last)
	}
}

func TestBudgetAsksTheLedger(t *testing.T) {
	b, pool := newBudget(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO ingest_ledger (message_id, file_name, stream_seq) VALUES ('done', 'a.csv', 1)`); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"done": true, "pending": false} {
		got, err := b.Committed(ctx, id)
		if err != nil || got != want {
			t.Errorf("Committed(%q) = %v, %v; want %v", id, got, err, want)
		}
	}
}

// While PostgreSQL is unreachable nothing can be counted, and each method
// says so.
func TestBudgetFailsWhenPostgreSQLIsUnreachable(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, _, err := deadletter.NewBudget(pool).Begin(context.Background(), "m"); err == nil {
		t.Fatal("Begin succeeded without PostgreSQL")
	}
}
