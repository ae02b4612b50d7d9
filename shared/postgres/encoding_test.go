package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	neturl "net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/postgres"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// Sessions speak UTF-8 whatever the database's encoding: text the
// database cannot hold is refused, never stored as other characters (with
// client_encoding left at a LATIN1 database's own, "€" would be stored as
// three LATIN1 characters).
func TestSessionsSpeakUTF8ToADatabaseOfAnotherEncoding(t *testing.T) {
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
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := neturl.Parse(pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	pool, err := postgres.Open(ctx, postgres.Config{URL: u.String(), MaxConns: 1}, "tributary-test")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var n int
	if err := pool.QueryRow(ctx, "SELECT length($1::text)", "café").Scan(&n); err != nil || n != 4 {
		t.Errorf(`length("café") = %d, %v; want 4`, n, err)
	}
	err = pool.QueryRow(ctx, "SELECT length($1::text)", "s€").Scan(&n)
	if err == nil || !strings.Contains(err.Error(), `has no equivalent in encoding "LATIN1"`) {
		t.Errorf(`length("s€") = %d, %v; want a refusal: LATIN1 has no euro sign`, n, err)
	}
}
