package db

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// The verifier computed here must be the one PostgreSQL computes itself
// from the same password, salt and iteration count.
func TestSCRAMVerifierMatchesPostgres(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const password = "Correct-Horse-Battery-Staple-42"
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) // the role never outlives the test
	if _, err := tx.Exec(ctx, "SET LOCAL password_encryption = 'scram-sha-256'"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "CREATE ROLE tributary_scram_check PASSWORD '"+password+"'"); err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := tx.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = 'tributary_scram_check'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	iterations, salt := parseSCRAM(t, stored)
	got, err := scramVerifierWith(password, salt, iterations)
	if err != nil {
		t.Fatal(err)
	}
	if got != stored {
		t.Errorf("verifier\n got  %s\n want %s (PostgreSQL's)", got, stored)
	}
}

func TestSetLoginStoresOnlyAVerifier(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) // the role never outlives the test
	const role, password = "tributary_setlogin_check", "s3cret-Password-Of-24-chars"
	if err := SetLogin(ctx, tx, role, password, false); err == nil {
		t.Fatal("SetLogin created a missing role without create")
	}
	if err := SetLogin(ctx, tx, role, password, true); err != nil {
		t.Fatal(err)
	}
	var canLogin bool
	var stored string
	if err := tx.QueryRow(ctx, "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = $1", role).Scan(&canLogin, &stored); err != nil {
		t.Fatal(err)
	}
	iterations, salt := parseSCRAM(t, stored)
	want, _ := scramVerifierWith(password, salt, iterations)
	if !canLogin || stored != want {
		t.Errorf("login=%v stored=%q, want a login role with the password's verifier", canLogin, stored)
	}
	if err := SetLogin(ctx, tx, role, "short", true); err == nil {
		t.Error("a short password was accepted")
	}
}
