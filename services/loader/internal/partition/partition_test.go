package partition_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db/dbtest"
	"github.com/tributary-dev/tributary/services/loader/internal/partition"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// observer records what the passes reported.
type observer struct {
	mu      sync.Mutex
	results []partition.Result
	failed  int
}

func (o *observer) Maintained(r partition.Result) {
	o.mu.Lock()
	o.results = append(o.results, r)
	o.mu.Unlock()
}
func (o *observer) MaintenanceFailed() { o.mu.Lock(); o.failed++; o.mu.Unlock() }

func today(t *testing.T, pool *pgxpool.Pool) time.Time {
	t.Helper()
	var d time.Time
	if err := pool.QueryRow(context.Background(), "SELECT (now() AT TIME ZONE 'UTC')::date").Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

func name(d time.Time) string { return "user_activity_" + d.Format("20060102") }

func insert(t *testing.T, pool *pgxpool.Pool, id string, at time.Time) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), "INSERT INTO user_activity VALUES ($1, $2, 'view', 1, 1.00, 1, 's', 1)", id, at); err != nil {
		t.Fatal(err)
	}
}

func where(t *testing.T, pool *pgxpool.Pool, id string) string {
	t.Helper()
	var p string
	if err := pool.QueryRow(context.Background(), "SELECT tableoid::regclass::text FROM user_activity WHERE event_id = $1", id).Scan(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPassCreatesTheDaysAheadAndMovesTheirRows(t *testing.T) {
	pool := dbtest.NewPool(t)
	day := today(t, pool)
	// The migration created up to a week ahead; a row nine days ahead
	// waits in the default partition until its day is created.
	insert(t, pool, "ahead", day.AddDate(0, 0, 9).Add(time.Hour))
	if p := where(t, pool, "ahead"); p != "user_activity_default" {
		t.Fatalf("the row is in %s, want the default partition", p)
	}
	m := partition.New(partition.Config{Ahead: 10, Interval: time.Minute}, pool, &observer{}, quiet)
	r, err := m.Once(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{name(day.AddDate(0, 0, 8)), name(day.AddDate(0, 0, 9)), name(day.AddDate(0, 0, 10))}
	if !slices.Equal(r.Created, want) || r.Moved != 1 || r.Partitions != 13 || len(r.Dropped) != 0 {
		t.Errorf("pass = %+v, want %v created, 1 row moved, 12 days and the default partition", r, want)
	}
	if p := where(t, pool, "ahead"); p != name(day.AddDate(0, 0, 9)) {
		t.Errorf("the row is in %s, want its day's partition", p)
	}
	if r, err := m.Once(context.Background()); err != nil || len(r.Created) != 0 {
		t.Errorf("a second pass = %+v, %v; want nothing to do", r, err)
	}
}

// Retention by partition: every day that ended longer ago than the
// retention goes, whole, with its rows; nothing younger does, and nothing
// without a retention.
func TestPassDropsTheDaysPastRetention(t *testing.T) {
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	day := today(t, pool)
	if _, err := pool.Exec(ctx, "SELECT * FROM user_activity_ensure_partitions($1, $2)", day.AddDate(0, 0, -45), day.AddDate(0, 0, -2)); err != nil {
		t.Fatal(err)
	}
	for i := -45; i <= 0; i++ {
		insert(t, pool, fmt.Sprintf("d%d", i), day.AddDate(0, 0, i).Add(12*time.Hour))
	}
	keep := partition.New(partition.Config{Ahead: 7, Interval: time.Minute}, pool, &observer{}, quiet)
	if r, err := keep.Once(ctx); err != nil || len(r.Dropped) != 0 {
		t.Fatalf("without a retention: %+v, %v; want nothing dropped", r, err)
	}
	m := partition.New(partition.Config{Retention: 30 * 24 * time.Hour, Ahead: 7, Interval: time.Minute}, pool, &observer{}, quiet)
	r, err := m.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Day -31 ended 30 days ago at midnight, more than 30 days ago by now;
	// day -30 ends within the retention.
	var want []string
	for i := -45; i <= -31; i++ {
		want = append(want, name(day.AddDate(0, 0, i)))
	}
	if !slices.Equal(r.Dropped, want) {
		t.Errorf("dropped %v, want %v", r.Dropped, want)
	}
	var n, oldest int
	if err := pool.QueryRow(ctx, "SELECT count(*), max((now() AT TIME ZONE 'UTC')::date - event_time::date) FROM user_activity").Scan(&n, &oldest); err != nil {
		t.Fatal(err)
	}
	if n != 31 || oldest != 30 {
		t.Errorf("%d rows left, the oldest %d days old; want 31, from 30 days ago to today", n, oldest)
	}
}

func TestPassOnAnUnpartitionedSchema(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	_, err = partition.New(partition.Config{Ahead: 7, Interval: time.Minute}, pool, &observer{}, quiet).Once(context.Background())
	if !errors.Is(err, partition.ErrNotPartitioned) {
		t.Errorf("Once = %v, want ErrNotPartitioned", err)
	}
}

func TestRunReportsEveryPassUntilStopped(t *testing.T) {
	pool := dbtest.NewPool(t)
	obs := &observer{}
	m := partition.New(partition.Config{Ahead: 7, Interval: 20 * time.Millisecond}, pool, obs, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		obs.mu.Lock()
		n := len(obs.results)
		obs.mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil once stopped", err)
	}
	if len(obs.results) < 2 || obs.failed != 0 || obs.results[0].Partitions != 10 {
		t.Errorf("passes %+v, %d failed; want at least two, reporting 9 days and the default partition", obs.results, obs.failed)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		give    partition.Config
		wantErr string
	}{
		{partition.Config{Ahead: 7, Interval: time.Minute}, ""},
		{partition.Config{Retention: 720 * time.Hour, Ahead: 7, Interval: time.Minute}, ""},
		{partition.Config{Retention: 12 * time.Hour, Ahead: 7, Interval: time.Minute}, "USER_ACTIVITY_RETENTION is 12h0m0s: want 0 (keep everything) or at least 24h"},
		{partition.Config{Ahead: 0, Interval: time.Minute}, "USER_ACTIVITY_PARTITIONS_AHEAD is 0"},
		{partition.Config{Ahead: 7, Interval: 24 * time.Hour}, "PARTITION_INTERVAL is 24h0m0s"},
	}
	for _, tt := range tests {
		err := tt.give.Validate()
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.give, err, tt.wantErr)
		}
	}
}

// Several loaders run their passes at the same moment: they take turns,
// none fails, and each day is created or dropped once.
func TestConcurrentPassesTakeTurns(t *testing.T) {
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	day := today(t, pool)
	if _, err := pool.Exec(ctx, "SELECT * FROM user_activity_ensure_partitions($1, $2)", day.AddDate(0, 0, -50), day.AddDate(0, 0, -41)); err != nil {
		t.Fatal(err)
	}
	const loaders = 4
	results := make([]partition.Result, loaders)
	errs := make([]error, loaders)
	var wg sync.WaitGroup
	for i := range loaders {
		wg.Go(func() {
			m := partition.New(partition.Config{Retention: 30 * 24 * time.Hour, Ahead: 20, Interval: time.Minute}, pool, &observer{}, quiet)
			results[i], errs[i] = m.Once(ctx)
		})
	}
	wg.Wait()
	var created, dropped []string
	for i := range loaders {
		if errs[i] != nil {
			t.Errorf("pass %d: %v", i, errs[i])
		}
		created, dropped = append(created, results[i].Created...), append(dropped, results[i].Dropped...)
	}
	slices.Sort(created)
	slices.Sort(dropped)
	if len(created) != 13 || len(slices.Compact(created)) != 13 || len(dropped) != 10 || len(slices.Compact(dropped)) != 10 {
		t.Errorf("created %v, dropped %v; want days 8 to 20 ahead created once and the 10 old days dropped once", created, dropped)
	}
}
