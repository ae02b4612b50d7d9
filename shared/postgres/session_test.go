package postgres_test

import (
	"context"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/postgres"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// The timeouts reach every session of the pool.
func TestSessionsCarryTheTimeouts(t *testing.T) {
	ctx := context.Background()
	c := postgres.Config{URL: pgtest.NewDatabase(t), MaxConns: 2,
		StatementTimeout: 90 * time.Second, LockTimeout: 7 * time.Second, IdleInTxTimeout: 3 * time.Minute}
	pool, err := postgres.Open(ctx, c, "tributary-test")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var statement, lock, idle, app string
	err = pool.QueryRow(ctx, `SELECT current_setting('statement_timeout'), current_setting('lock_timeout'),
		current_setting('idle_in_transaction_session_timeout'), current_setting('application_name')`).Scan(&statement, &lock, &idle, &app)
	if err != nil {
		t.Fatal(err)
	}
	if statement != "90s" || lock != "7s" || idle != "3min" || app != "tributary-test" {
		t.Errorf("statement_timeout=%s lock_timeout=%s idle_in_transaction_session_timeout=%s application_name=%s", statement, lock, idle, app)
	}
	// And they bite: a statement over its timeout is cancelled.
	c.StatementTimeout = 100 * time.Millisecond
	short, err := postgres.Open(ctx, c, "tributary-test")
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	if _, err := short.Exec(ctx, "SELECT pg_sleep(2)"); err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("pg_sleep(2) with a 100ms statement_timeout: %v", err)
	}
}

// sslmode in DATABASE_URL is honoured: require encrypts, verify-full
// refuses a server certificate it cannot verify (the local server's is
// self-signed).
func TestSSLModeIsHonoured(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	pool, err := postgres.Open(ctx, postgres.Config{URL: url, MaxConns: 1}, "tributary-test")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var ssl string
	if err := pool.QueryRow(ctx, "SHOW ssl").Scan(&ssl); err != nil {
		t.Fatal(err)
	}
	if ssl != "on" {
		t.Skip("SKIPPED, NOT PASSED: the PostgreSQL server has ssl off")
	}
	require := withQuery(t, url, "sslmode", "require")
	pool2, err := postgres.Open(ctx, postgres.Config{URL: require, MaxConns: 1}, "tributary-test")
	if err != nil {
		t.Fatal(err)
	}
	defer pool2.Close()
	var encrypted bool
	if err := pool2.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&encrypted); err != nil || !encrypted {
		t.Errorf("sslmode=require: encrypted=%v (%v)", encrypted, err)
	}
	verify := withQuery(t, withQuery(t, url, "sslmode", "verify-full"), "sslrootcert", "system")
	pool3, err := postgres.Open(ctx, postgres.Config{URL: verify, MaxConns: 1}, "tributary-test")
	if err == nil {
		defer pool3.Close()
		err = pool3.Ping(ctx)
	}
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("sslmode=verify-full against a self-signed certificate: %v, want a certificate error", err)
	}
	t.Logf("verify-full: %v", err)
}

func withQuery(t *testing.T, raw, key, value string) string {
	t.Helper()
	u, err := neturl.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
