package db_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// roleEnv is a test database owned by a plain (non-superuser) owner role,
// migrated by that role, with a login role that is a member of
// tributary_loader, as docs/security.md sets up production.
type roleEnv struct {
	owner, loader *pgx.Conn
	ownerRole     string
}

func newRoleEnv(t *testing.T) roleEnv {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	admin, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(ctx) })
	suffix := randomSuffix()
	ownerRole, loginRole := "tributary_owner_"+suffix, "tributary_loader_"+suffix
	dbName := strings.TrimPrefix(mustParse(t, dbURL).Path, "/")
	exec(t, admin, "CREATE ROLE "+ownerRole+" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB")
	t.Cleanup(func() {
		// The database first: the owner role owns it and its tables.
		exec(t, admin, "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)")
		exec(t, admin, "DROP ROLE IF EXISTS "+loginRole)
		exec(t, admin, "DROP ROLE IF EXISTS "+ownerRole)
	})
	exec(t, admin, "ALTER DATABASE "+dbName+" OWNER TO "+ownerRole)
	// The owner may not create roles: the DBA creates the group role (the
	// migration creates it only where the migrating role may).
	if _, err := admin.Exec(ctx, "CREATE ROLE "+db.LoaderRole+" NOLOGIN"); err != nil && !isCode(err, "42710", "23505") {
		t.Fatal(err)
	}
	exec(t, admin, "CREATE ROLE "+loginRole+" LOGIN IN ROLE "+db.LoaderRole)

	pool, err := pgxpool.New(ctx, withUser(t, dbURL, ownerRole))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("migrate as the owner role: %v", err)
	}
	e := roleEnv{ownerRole: ownerRole}
	if e.owner, err = pgx.Connect(ctx, withUser(t, dbURL, ownerRole)); err != nil {
		t.Fatal(err)
	}
	if e.loader, err = pgx.Connect(ctx, withUser(t, dbURL, loginRole)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.owner.Close(ctx); e.loader.Close(ctx) })
	return e
}

func TestMigrationsRunAsAPlainOwnerRole(t *testing.T) {
	e := newRoleEnv(t)
	for _, table := range []string{"user_activity", "ingest_rejects", "rejected_files", "ingest_ledger", "ingest_attempts", "schema_migrations"} {
		var owner string
		if err := e.owner.QueryRow(context.Background(), "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = $1", table).Scan(&owner); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if owner != e.ownerRole {
			t.Errorf("%s is owned by %s, want %s", table, owner, e.ownerRole)
		}
	}
}

// Everything the loader's store does succeeds as the loader role.
func TestLoaderRoleCanLoad(t *testing.T) {
	e := newRoleEnv(t)
	ctx := context.Background()
	tx, err := e.loader.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	steps := []struct{ what, sql string }{
		{"ledger insert", `INSERT INTO ingest_ledger (message_id, file_id, part, parts, file_name, stream_seq) VALUES ('m1', 'f1', 1, 1, 'a.csv', 1) ON CONFLICT (message_id) DO NOTHING RETURNING message_id`},
		{"rows", `INSERT INTO user_activity VALUES ('e1', '2026-11-26 10:00:00', 'view', 1, 1.00, 1, 's', 1)`},
		{"staging table", `CREATE TEMP TABLE IF NOT EXISTS ingest_staging (LIKE user_activity INCLUDING DEFAULTS, ord BIGINT NOT NULL) ON COMMIT DELETE ROWS`},
		{"staging rows", `INSERT INTO ingest_staging VALUES ('e1', '2026-11-26 10:00:00', 'view', 1, 1.00, 1, 's', 1, 1)`},
		{"insert from staging", `WITH ins AS (INSERT INTO user_activity SELECT event_id, event_time, event_type, product_id, price, user_id, session_id, source_seq FROM ingest_staging ON CONFLICT (event_id, event_time) DO NOTHING RETURNING event_id, event_time)
			SELECT s.ord, l.file_name FROM ingest_staging s LEFT JOIN user_activity u ON (u.event_id, u.event_time) = (s.event_id, s.event_time) LEFT JOIN ingest_ledger l ON l.stream_seq = u.source_seq
			WHERE NOT EXISTS (SELECT 1 FROM ins WHERE (ins.event_id, ins.event_time) = (s.event_id, s.event_time))`},
		{"partitions ahead", `SELECT * FROM user_activity_ensure_partitions(current_date, current_date + 30)`},
		{"partition retention", `SELECT * FROM user_activity_drop_partitions('400 days')`},
		{"rejects", `INSERT INTO user_activity_rejects (file_id, file_name, line_number, reason, raw_line, stream_seq) VALUES ('f1', 'a.csv', 3, 'bad', 'x', 1)`},
		{"contract rejects", `INSERT INTO ingest_rejects (contract, file_id, file_name, line_number, reason, raw_line, stream_seq) VALUES ('orders', 'f1', 'a.csv', 3, 'bad', 'x', 1)`},
		{"rejected file", `INSERT INTO rejected_files (file_name, reason, stream_seq) VALUES ('b.csv', 'not csv', 2)`},
		{"ledger counts", `UPDATE ingest_ledger SET rows_loaded = 1, rows_rejected = 1, committed_at = clock_timestamp() WHERE message_id = 'm1'`},
		{"ledger pruning", `DELETE FROM ingest_ledger WHERE stream_seq < 0 AND committed_at < now()`},
		{"file record", `INSERT INTO ingest_files (file_id, size_bytes) VALUES ('f1', 10) ON CONFLICT (file_id) DO NOTHING`},
		{"file lock", `SELECT file_id FROM ingest_files WHERE file_id = ANY('{f1}') ORDER BY file_id FOR UPDATE`},
		{"file ranges", `SELECT f.file_id, lower(r), upper(r) FROM ingest_files f, unnest(f.loaded) r WHERE f.file_id = 'f1'`},
		{"file loaded", `UPDATE ingest_files f SET loaded = '{[0,10)}', loaded_at = CASE WHEN f.loaded_at IS NULL THEN clock_timestamp() END WHERE f.file_id = 'f1'`},
		{"file pruning", `DELETE FROM ingest_files WHERE loaded_at < now() - interval '90 days'`},
		{"attempt begun", `INSERT INTO ingest_attempts AS a (message_id, attempts) VALUES ('m1', 1)
			ON CONFLICT (message_id) DO UPDATE SET attempts = a.attempts + 1, updated_at = now() RETURNING attempts, coalesce(last_error, '')`},
		{"attempt failed", `INSERT INTO ingest_attempts AS a (message_id, attempts, last_error) VALUES ('m1', 1, 'bad')
			ON CONFLICT (message_id) DO UPDATE SET attempts = a.attempts + 0, last_error = 'bad', updated_at = now() RETURNING attempts`},
		{"attempt released", `UPDATE ingest_attempts SET attempts = greatest(attempts - 1, 0), updated_at = now() WHERE message_id = 'm1'`},
		{"ledger asked", `SELECT EXISTS (SELECT 1 FROM ingest_ledger WHERE message_id = 'm1')`},
		{"attempts forgotten", `DELETE FROM ingest_attempts WHERE message_id = 'm1'`},
	}
	for _, s := range steps {
		if _, err := tx.Exec(ctx, s.sql); err != nil {
			t.Errorf("%s: %v", s.what, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := e.loader.CopyFrom(ctx, pgx.Identifier{"user_activity"},
		[]string{"event_id", "event_time", "event_type", "product_id", "price", "user_id", "session_id", "source_seq"},
		pgx.CopyFromRows([][]any{{"e2", "2026-11-26 10:00:00", "purchase", int32(2), "2.50", int32(1), "s", int64(2)}}))
	if err != nil || n != 1 {
		t.Errorf("COPY as the loader role: %d rows, %v", n, err)
	}
}

// The loader role cannot change or destroy the schema, read what it does
// not need, reach the server's files, or raise its own privileges.
func TestLoaderRoleCannotDropOrAlter(t *testing.T) {
	e := newRoleEnv(t)
	ctx := context.Background()
	tests := []struct{ what, sql, want string }{
		{"drop table", "DROP TABLE user_activity", "must be owner of table user_activity"},
		{"alter table", "ALTER TABLE user_activity ADD COLUMN note text", "must be owner of table user_activity"},
		{"drop index", "DROP INDEX user_activity_event_time_idx", "must be owner of index user_activity_event_time_idx"},
		{"truncate", "TRUNCATE user_activity", "permission denied for table user_activity"},
		{"drop partition", "DROP TABLE user_activity_default", "must be owner of table user_activity_default"},
		{"detach partition", "ALTER TABLE user_activity DETACH PARTITION user_activity_default", "must be owner of table user_activity"},
		{"write a partition", "INSERT INTO user_activity_default SELECT * FROM user_activity LIMIT 0", "permission denied for table user_activity_default"},
		{"delete rows", "DELETE FROM user_activity", "permission denied for table user_activity"},
		{"update rows", "UPDATE user_activity SET price = 0", "permission denied for table user_activity"},
		{"read rejects", "SELECT raw_line FROM ingest_rejects", "permission denied for table ingest_rejects"},
		{"read rejects' view", "SELECT raw_line FROM user_activity_rejects", "permission denied for view user_activity_rejects"},
		{"rewrite ledger", "UPDATE ingest_ledger SET file_name = 'x'", "permission denied for table ingest_ledger"},
		{"resize a file", "UPDATE ingest_files SET size_bytes = 0", "permission denied for table ingest_files"},
		{"delete rejects", "DELETE FROM ingest_rejects", "permission denied for table ingest_rejects"},
		{"delete via view", "DELETE FROM user_activity_rejects", "permission denied for view user_activity_rejects"},
		{"create table", "CREATE TABLE public.scratch (i int)", "permission denied for schema public"},
		{"schema history", "DELETE FROM schema_migrations", "permission denied for table schema_migrations"},
		{"server file", "COPY user_activity FROM '/etc/passwd'", "must be superuser or have privileges of the pg_read_server_files role"},
		{"read file", "SELECT pg_read_file('/etc/passwd')", "permission denied for function pg_read_file"},
		{"raise itself", "ALTER ROLE " + db.LoaderRole + " SUPERUSER", "permission denied to alter role|must be superuser to alter superuser roles"},
		{"grant itself", "GRANT pg_read_server_files TO " + db.LoaderRole, "permission denied to grant role|must have admin option on role"},
	}
	for _, tt := range tests {
		_, err := e.loader.Exec(ctx, tt.sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" || !containsAny(pgErr.Message, strings.Split(tt.want, "|")) {
			t.Errorf("%s: got %v, want SQLSTATE 42501 %q", tt.what, err, tt.want)
			continue
		}
		t.Logf("%-15s %-60s -> ERROR: %s (SQLSTATE %s)", tt.what, tt.sql, pgErr.Message, pgErr.Code)
	}
	var super, createRole, createDB, fileRoles bool
	err := e.loader.QueryRow(ctx, `SELECT rolsuper, rolcreaterole, rolcreatedb,
		pg_has_role(current_user, 'pg_read_server_files', 'MEMBER') OR pg_has_role(current_user, 'pg_write_server_files', 'MEMBER')
		OR pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER')
		FROM pg_roles WHERE rolname = current_user`).Scan(&super, &createRole, &createDB, &fileRoles)
	if err != nil {
		t.Fatal(err)
	}
	if super || createRole || createDB || fileRoles {
		t.Errorf("loader role: superuser=%v createrole=%v createdb=%v server-file roles=%v, want all false", super, createRole, createDB, fileRoles)
	}
}

// containsAny accepts the wording of several PostgreSQL versions.
func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func exec(t *testing.T, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func isCode(err error, codes ...string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	for _, c := range codes {
		if pgErr.Code == c {
			return true
		}
	}
	return false
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func withUser(t *testing.T, raw, user string) string {
	u := mustParse(t, raw)
	u.User = url.User(user)
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
