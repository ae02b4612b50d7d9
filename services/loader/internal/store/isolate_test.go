package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/schema/schematest"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// refusal is a row of user_activity_rejects.
type refusal struct {
	line   int
	column string
	reason string
	raw    string
}

func refusals(t *testing.T, pool *pgxpool.Pool, fileName string) []refusal {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT line_number, coalesce(column_name, ''), reason, raw_line
		FROM user_activity_rejects WHERE file_name = $1 ORDER BY line_number`, fileName)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (refusal, error) {
		var x refusal
		err := r.Scan(&x.line, &x.column, &x.reason, &x.raw)
		return x, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// A CHECK added after the data contract was agreed refuses some rows: each
// is rejected alone with PostgreSQL's message, the rest of the part and of
// the batch loads, and the ledger counts both.
func TestApplyRejectsRowsACheckRefusesAndLoadsTheRest(t *testing.T) {
	s, pool := newStore(t)
	exec(t, pool, "ALTER TABLE user_activity ADD CONSTRAINT price_below_1000 CHECK (price < 1000)")
	a := part(id('a'), 1, 1, rows(0, 5)+rows(1000, 1002)+rows(5, 8)) // lines 7 and 8 cost 1000.00 and 1001.01
	b := part(id('b'), 1, 1, rows(10, 20))
	out, err := s.Apply(context.Background(), []store.Message{a, b})
	if err != nil {
		t.Fatalf("Apply = %v, want the refused rows rejected and the rest loaded", err)
	}
	if out[0] != (store.Outcome{Applied: true, Loaded: 8, Rejected: 2}) || out[1] != (store.Outcome{Applied: true, Loaded: 10}) {
		t.Fatalf("outcomes = %+v", out)
	}
	got := refusals(t, pool, a.Part.FileName)
	raws := strings.Split(rows(1000, 1002), "\n")
	if len(got) != 2 {
		t.Fatalf("rejects = %+v, want lines 7 and 8", got)
	}
	for i, r := range got {
		if r.line != 7+i || r.column != "" || r.raw != raws[i] ||
			// The rows are of a day with no partition: PostgreSQL names the one they went to.
			!strings.Contains(r.reason, `new row for relation "user_activity_default" violates check constraint "price_below_1000"`) ||
			!strings.Contains(r.reason, "23514") {
			t.Errorf("reject %d = %+v", i, r)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != 18 {
		t.Errorf("user_activity has %d rows, want 18", n)
	}
	if n := count(t, pool, "SELECT rows_loaded * 100 + rows_rejected FROM ingest_ledger WHERE message_id = $1", a.ID); n != 802 {
		t.Errorf("ledger counts %d loaded and %d rejected, want 8 and 2", n/100, n%100)
	}
}

// A NOT NULL added later names its column.
func TestApplyRejectsARowANotNullRefusesWithItsColumn(t *testing.T) {
	s, pool := newStore(t)
	exec(t, pool, "ALTER TABLE user_activity ALTER COLUMN session_id SET NOT NULL")
	m := part(id('n'), 1, 1, rows(0, 2)+"e-null,2026-01-02 03:04:05,view,1,1.00,7,\n"+rows(2, 4))
	out, err := s.Apply(context.Background(), []store.Message{m})
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != (store.Outcome{Applied: true, Loaded: 4, Rejected: 1}) {
		t.Fatalf("outcome = %+v", out[0])
	}
	got := refusals(t, pool, m.Part.FileName)
	if len(got) != 1 || got[0].line != 4 || got[0].column != "session_id" ||
		!strings.Contains(got[0].reason, `null value in column "session_id"`) || got[0].raw != "e-null,2026-01-02 03:04:05,view,1,1.00,7," {
		t.Fatalf("rejects = %+v", got)
	}
}

// Refused rows and duplicates in one message: each goes to the rejects
// with its own reason, whichever PostgreSQL meets first.
func TestApplyRejectsRefusedRowsAndDuplicatesTogether(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	if _, err := s.Apply(ctx, []store.Message{part(id('c'), 1, 1, rows(0, 3))}); err != nil {
		t.Fatal(err)
	}
	exec(t, pool, "ALTER TABLE user_activity ADD CONSTRAINT price_below_1000 CHECK (price < 1000)")
	// e1 (line 2) repeats the first file; the refused rows come after more
	// than one of PostgreSQL's insert buffers (1,000 rows), so COPY reports
	// the duplicate first and the staging path meets the CHECK.
	d := part(id('d'), 1, 1, rows(1, 2)+cheap(0, 1500)+rows(1000, 1503)+cheap(1500, 1502))
	out, err := s.Apply(ctx, []store.Message{d})
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != (store.Outcome{Applied: true, Loaded: 1502, Rejected: 1 + 503}) {
		t.Fatalf("outcome = %+v", out[0])
	}
	if n := count(t, pool, `SELECT count(*) FROM user_activity_rejects WHERE file_name = $1 AND line_number = 2
		AND reason = '(event_id, event_time) ("e1", "2026-01-02 03:04:05.123456") is already loaded from "f-cccc.csv"; the first copy loaded wins'`, d.Part.FileName); n != 1 {
		t.Errorf("%d duplicate rejects for e1, want 1", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM user_activity_rejects WHERE file_name = $1 AND reason LIKE '%price_below_1000%'`, d.Part.FileName); n != 503 {
		t.Errorf("%d CHECK rejects, want 503 (e1000..e1502)", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != 3+1502 {
		t.Errorf("user_activity has %d rows", n)
	}
}

// cheap is rows whose prices are all 1.00, event ids c<from>..c<to-1>.
func cheap(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "c%d,2026-01-02 03:04:05,view,1,1.00,7,s\n", i)
	}
	return b.String()
}

// A trigger that fires after the rows (so PostgreSQL names no COPY line)
// refuses some: they are found by bisection and rejected alone.
func TestApplyFindsRefusedRowsWithoutALineNumber(t *testing.T) {
	s, pool := newStore(t)
	exec(t, pool, `CREATE FUNCTION no_round_prices() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.price = trunc(NEW.price) THEN
				RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'round price ' || NEW.price || ' refused';
			END IF;
			RETURN NULL;
		END $$`)
	exec(t, pool, "CREATE TRIGGER no_round_prices AFTER INSERT ON user_activity FOR EACH ROW EXECUTE FUNCTION no_round_prices()")
	m := part(id('r'), 1, 1, rows(1, 300)+"e-round,2026-01-02 03:04:05,view,1,5,7,s\n"+rows(300, 400)) // rows(i) cost i.(i%100): e100, e200, e300 are round too
	out, err := s.Apply(context.Background(), []store.Message{m})
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != (store.Outcome{Applied: true, Loaded: 396, Rejected: 4}) {
		t.Fatalf("outcome = %+v", out[0])
	}
	got := refusals(t, pool, m.Part.FileName)
	wantLines := []int{101, 201, 301, 302}
	if len(got) != len(wantLines) {
		t.Fatalf("rejects = %+v", got)
	}
	for i, r := range got {
		if r.line != wantLines[i] || !strings.Contains(r.reason, "round price") || !strings.Contains(r.reason, "refused") {
			t.Errorf("reject %d = %+v, want line %d", i, r, wantLines[i])
		}
	}
}

// A database whose encoding cannot hold a character refuses that row
// alone; the raw line is kept with the character escaped, since the
// rejects table cannot hold it either.
func TestApplyRejectsARowTheDatabaseEncodingCannotHold(t *testing.T) {
	pool := latin1Database(t)
	s := store.New(pool, schematest.UserActivity(t, pool))
	m := part(id('l'), 1, 1, rows(0, 2)+"e-euro,2026-01-02 03:04:05,view,1,1.00,7,s€\n"+"e-acute,2026-01-02 03:04:05,view,1,1.00,7,café\n")
	out, err := s.Apply(context.Background(), []store.Message{m})
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != (store.Outcome{Applied: true, Loaded: 3, Rejected: 1}) {
		t.Fatalf("outcome = %+v", out[0])
	}
	got := refusals(t, pool, m.Part.FileName)
	if len(got) != 1 || got[0].line != 4 || got[0].column != "session_id" ||
		!strings.Contains(got[0].reason, `has no equivalent in encoding "LATIN1"`) ||
		got[0].raw != `e-euro,2026-01-02 03:04:05,view,1,1.00,7,s\u20AC` {
		t.Fatalf("rejects = %+v", got)
	}
	var session string
	if err := pool.QueryRow(context.Background(), "SELECT session_id FROM user_activity WHERE event_id = 'e-acute'").Scan(&session); err != nil || session != "café" {
		t.Errorf("e-acute's session_id = %q (%v), want café", session, err)
	}
}

// latin1Database is a migrated database in LATIN1, dropped after the test.
func latin1Database(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	defer admin.Close(ctx)
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "tributary_test_latin1_" + hex.EncodeToString(suffix)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(context.Background(), pgtest.AdminURL())
		if err != nil {
			t.Log(err)
			return
		}
		defer admin.Close(context.Background())
		if _, err := admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Log(err)
		}
	})
	u, err := url.Parse(pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	// As the loader must: the rows are UTF-8, and with the server's own
	// encoding as client_encoding PostgreSQL would store their bytes as
	// LATIN1 characters instead of refusing what LATIN1 cannot hold.
	q := u.Query()
	q.Set("client_encoding", "UTF8")
	u.RawQuery = q.Encode()
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return pool
}
