package up

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

func TestCredentialsGiveChildrenFilesNotSecrets(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	role := "tributary_up_test_" + hex.EncodeToString(suffix) // not the shared tributary_loader
	if _, err := conn.Exec(ctx, "CREATE ROLE "+role+" NOLOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(context.Background(), pgtest.AdminURL())
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
			return
		}
		defer admin.Close(context.Background())
		if _, err := admin.Exec(context.Background(), "DROP ROLE "+role); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})

	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the nats context goes there, not into ~/.config
	c := Config{DataDir: t.TempDir(), DatabaseURL: dbURL, LoaderRole: role, NATSPort: 4322}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := prepareCredentials(ctx, c, log)
	if err != nil {
		t.Fatal(err)
	}
	again, err := prepareCredentials(ctx, c, log)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(first.nats, " ") != strings.Join(again.nats, " ") {
		t.Error("a second run made new keys")
	}

	dir := filepath.Join(c.DataDir, "secrets")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 5 {
		t.Fatalf("%d files in %s, want 4 nkey seeds and 1 password", len(entries), dir)
	}
	all := strings.Join(append(append(append([]string{}, first.nats...), first.watcher...), first.loader...), "\n")
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
		secret, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if strings.Contains(all, strings.TrimSpace(string(secret))) {
			t.Errorf("the environment of a child holds the secret of %s", e.Name())
		}
	}
	for _, want := range []string{"NATS_NKEY_FILE=" + filepath.Join(dir, "nats-loader.nk"), "DATABASE_PASSWORD_FILE=" + filepath.Join(dir, "pg-loader.password")} {
		if !strings.Contains(all, want) {
			t.Errorf("loader environment lacks %s:\n%s", want, all)
		}
	}
	if !strings.Contains(all, "DATABASE_URL=postgres://"+role+"@") {
		t.Errorf("the loader does not connect as %s:\n%s", role, all)
	}
	var canLogin bool
	if err := conn.QueryRow(ctx, "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", role).Scan(&canLogin); err != nil || !canLogin {
		t.Errorf("%s cannot log in (%v)", role, err)
	}
}

func TestAsRole(t *testing.T) {
	got, err := asRole("postgres://postgres:pw@h:5432/tributary?sslmode=verify-full&password=x", "tributary_loader")
	if err != nil || got != "postgres://tributary_loader@h:5432/tributary?sslmode=verify-full" {
		t.Errorf("asRole = %q, %v", got, err)
	}
	if _, err := asRole("host=h user=postgres", "tributary_loader"); err == nil {
		t.Error("a keyword/value string was accepted")
	}
}

func TestChildrenDoNotInheritDatabaseCredentials(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://admin:s3cret@db/tributary")
	t.Setenv("PGPASSWORD", "s3cret")
	t.Setenv("LOG_LEVEL", "debug")
	env := strings.Join(inheritedEnv(), "\n")
	if strings.Contains(env, "s3cret") || !strings.Contains(env, "LOG_LEVEL=debug") {
		t.Errorf("inherited environment:\n%s", env)
	}
}
