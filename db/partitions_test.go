package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db/dbtest"
)

// today is the database's UTC day, the one the partitions follow.
func today(t *testing.T, pool *pgxpool.Pool) time.Time {
	t.Helper()
	var d time.Time
	if err := pool.QueryRow(context.Background(), "SELECT (now() AT TIME ZONE 'UTC')::date").Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// partitions lists user_activity's partitions by name, with their bounds.
func partitions(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'user_activity'::regclass`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var name, bound string
	if _, err := pgx.ForEachRow(rows, []any{&name, &bound}, func() error { out[name] = bound; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func dayName(d time.Time) string { return "user_activity_" + d.Format("20060102") }

func TestFreshDatabaseIsPartitionedByDay(t *testing.T) {
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	var kind, key string
	if err := pool.QueryRow(ctx, `SELECT c.relkind::text, pg_get_constraintdef(k.oid) FROM pg_class c
		JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p' WHERE c.oid = 'user_activity'::regclass`).Scan(&kind, &key); err != nil {
		t.Fatal(err)
	}
	if kind != "p" || key != "PRIMARY KEY (event_time, event_id)" {
		t.Errorf("user_activity: relkind %s, key %s; want a partitioned table keyed PRIMARY KEY (event_time, event_id)", kind, key)
	}
	got := partitions(t, pool)
	day := today(t, pool)
	want := map[string]string{"user_activity_default": "DEFAULT"}
	for i := -1; i <= 7; i++ {
		d := day.AddDate(0, 0, i)
		want[dayName(d)] = "FOR VALUES FROM ('" + d.Format(time.DateOnly) + " 00:00:00') TO ('" + d.AddDate(0, 0, 1).Format(time.DateOnly) + " 00:00:00')"
	}
	if len(got) != len(want) {
		t.Errorf("partitions %v, want %v", got, want)
	}
	for name, bound := range want {
		if got[name] != bound {
			t.Errorf("partition %s: %q, want %q", name, got[name], bound)
		}
	}
	var indexed bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_indexes WHERE tablename = 'user_activity' AND indexname = 'user_activity_event_time_idx'
		AND indexdef LIKE '%(event_time)')`).Scan(&indexed); err != nil || !indexed {
		t.Errorf("the event_time index is missing (%v)", err)
	}
}

func TestEnsurePartitionsMovesRowsOutOfTheDefault(t *testing.T) {
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	ahead := today(t, pool).AddDate(0, 0, 30) // no partition yet
	if _, err := pool.Exec(ctx, `INSERT INTO user_activity VALUES
		('e1', $1::timestamp + interval '1 hour', 'view', 1, 1.00, 1, 's', 1),
		('e2', $1::timestamp + interval '25 hours', 'view', 1, 1.00, 1, 's', 1)`, ahead); err != nil {
		t.Fatalf("a row whose day has no partition: %v", err)
	}
	where := func(id string) string {
		var p string
		if err := pool.QueryRow(ctx, "SELECT tableoid::regclass::text FROM user_activity WHERE event_id = $1", id).Scan(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := where("e1"); p != "user_activity_default" {
		t.Fatalf("e1 is in %s, want the default partition", p)
	}
	var name string
	var moved int64
	if err := pool.QueryRow(ctx, "SELECT * FROM user_activity_ensure_partitions($1, $1)", ahead).Scan(&name, &moved); err != nil {
		t.Fatal(err)
	}
	if name != dayName(ahead) || moved != 1 {
		t.Errorf("created %s with %d rows moved, want %s with 1", name, moved, dayName(ahead))
	}
	if p := where("e1"); p != dayName(ahead) {
		t.Errorf("e1 is in %s, want %s", p, dayName(ahead))
	}
	if p := where("e2"); p != "user_activity_default" {
		t.Errorf("e2, of the next day, is in %s, want the default partition still", p)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM user_activity_ensure_partitions($1, $1)", ahead).Scan(&n); err != nil || n != 0 {
		t.Errorf("again: %d partitions created (%v), want none", n, err)
	}
	if _, err := pool.Exec(ctx, "SELECT * FROM user_activity_ensure_partitions($1, $2)", ahead, ahead.AddDate(5, 0, 0)); err == nil ||
		!strings.Contains(err.Error(), "at most 1000 days") {
		t.Errorf("five years at once: %v, want a refusal", err)
	}
}

func TestDropPartitionsDropsWholeDaysPastRetention(t *testing.T) {
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	day := today(t, pool)
	old := day.AddDate(0, 0, -40)
	if _, err := pool.Exec(ctx, "SELECT * FROM user_activity_ensure_partitions($1, $2)", old, old.AddDate(0, 0, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO user_activity
		SELECT 'old-' || i, $1::timestamp + i * interval '1 hour', 'view', 1, 1.00, 1, 's', 1 FROM generate_series(0, 71) i
		UNION ALL SELECT 'far-past', '1999-01-01', 'view', 1, 1.00, 1, 's', 1
		UNION ALL SELECT 'now', now() AT TIME ZONE 'UTC', 'view', 1, 1.00, 1, 's', 1`, old); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "SELECT * FROM user_activity_drop_partitions('12 hours')"); err == nil || !strings.Contains(err.Error(), "want at least a day") {
		t.Errorf("retention of 12 hours: %v, want a refusal", err)
	}
	rows, err := pool.Query(ctx, "SELECT partition FROM user_activity_drop_partitions('30 days') ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	dropped, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{dayName(old), dayName(old.AddDate(0, 0, 1)), dayName(old.AddDate(0, 0, 2))}
	if strings.Join(dropped, " ") != strings.Join(want, " ") {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
	var left, oldLeft int
	if err := pool.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE event_id LIKE 'old-%') FROM user_activity").Scan(&left, &oldLeft); err != nil {
		t.Fatal(err)
	}
	// The default partition is never dropped: its far-past row stays.
	if left != 2 || oldLeft != 0 {
		t.Errorf("%d rows left (%d of the old days), want the far-past one in the default partition and today's", left, oldLeft)
	}
	if _, ok := partitions(t, pool)[dayName(day.AddDate(0, 0, -1))]; !ok {
		t.Error("yesterday's partition was dropped")
	}
}
