package status

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

func TestTablesOverTheLimitAreEstimated(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO user_activity
		SELECT 'e' || i, now(), 'view', 1, 1.00, 1, 's', 1 FROM generate_series(1, 5) AS i`); err != nil {
		t.Fatal(err)
	}
	set := settings(t)
	src := Sources{Settings: set, Database: pool, ExactUpTo: 2, Now: time.Now}

	// The statistics follow the insert once its backend reports them
	// (within a second or so): until then the estimate is below the 3 rows
	// counted, and status says at least that many.
	var tb *Tables
	deadline := time.Now().Add(30 * time.Second)
	for {
		if tb, err = readTables(ctx, src); err != nil {
			t.Fatal(err)
		}
		if tb.Rows.N == 5 || time.Now().After(deadline) {
			break
		}
		if tb.Rows != (Count{3, false}) {
			t.Fatalf("rows = %+v before the statistics caught up, want at least the 3 counted, estimated", tb.Rows)
		}
		time.Sleep(50 * time.Millisecond) // polling PostgreSQL's statistics, which no event announces
	}
	if tb.Rows != (Count{5, false}) || tb.RejectedRows != (Count{0, true}) {
		t.Fatalf("rows = %+v, rejected rows = %+v; want 5 estimated, 0 exact", tb.Rows, tb.RejectedRows)
	}
	var out bytes.Buffer
	if err := Render(&out, &Snapshot{At: time.Now(), Tables: tb}, set, "data"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"≈ 5 in total", "rows 0 (exact)", "≈: estimated from PostgreSQL's statistics (tables over 2 rows are not counted)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLagTime(t *testing.T) {
	tests := []struct {
		messages int64
		lag      uint64
		want     string
	}{
		{messages: 60, lag: 3, want: "3 s"},
		{messages: 600, lag: 5, want: "under 1 s"},
		{messages: 1, lag: 90, want: "1 h 30 min"},
		{messages: 120, lag: 250, want: "2 min 5 s"},
		{messages: 0, lag: 5, want: "unknown"},
	}
	for _, tt := range tests {
		d, ok := (&Tables{MessagesLastMinute: tt.messages}).LagTime(tt.lag)
		got := "unknown"
		if ok {
			got = roughly(d)
		}
		if got != tt.want {
			t.Errorf("lag %d at %d messages a minute = %q, want %q", tt.lag, tt.messages, got, tt.want)
		}
	}
}
