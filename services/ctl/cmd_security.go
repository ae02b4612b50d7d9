package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/postgres"
	"github.com/tributary-dev/tributary/shared/secrets"
)

// runCredentials makes a deployment's secrets, once: an nkey seed per NATS
// identity and the loader's PostgreSQL password, owner-only files in one
// directory. It prints what the NATS server needs (public keys, not
// secrets) as an environment file.
func runCredentials(_ context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("credentials", flag.ContinueOnError)
	dir := fs.String("dir", "secrets", "directory of the secret files (created with mode 0700; existing files are kept)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set, err := secrets.Ensure(*dir)
	if err != nil {
		return err
	}
	password, err := set.PasswordFile(secrets.Loader)
	if err != nil {
		return err
	}
	log.Info("credentials ready", "dir", set.Dir, "loader_password_file", password)
	fmt.Fprintln(stdout, "# The NATS server's environment (deployments/nats/auth.conf): public keys only.")
	for _, kv := range set.ServerEnv() {
		fmt.Fprintln(stdout, kv)
	}
	return nil
}

// runDBLogin lets a role log in with the password in a file, sent to
// PostgreSQL as a SCRAM-SHA-256 verifier (never in clear). It connects
// with DATABASE_URL, which needs CREATEROLE.
func runDBLogin(ctx context.Context, args []string, _ io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("db-login", flag.ContinueOnError)
	create := fs.Bool("create", false, "create the role if it does not exist (e.g. the owner role)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: ctl db-login [-create] ROLE PASSWORD_FILE\n\nLets ROLE (e.g. "+db.LoaderRole+", which the migrations create) log in with the password in PASSWORD_FILE.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errors.New("want ROLE and PASSWORD_FILE")
	}
	role, file := fs.Arg(0), fs.Arg(1)
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	c := operatorDatabase()
	pool, err := postgres.Open(ctx, c, "tributary-ctl")
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.SetLogin(ctx, pool, role, strings.TrimSpace(string(b)), *create); err != nil {
		return err
	}
	log.Info("role may log in", "role", role, "password_file", file, "database", postgres.Redact(c.URL))
	return nil
}

// operatorDatabase is the connection of ctl's database commands:
// DATABASE_URL, with the password from DATABASE_PASSWORD_FILE if set, and
// no statement timeout (a migration may take long).
func operatorDatabase() postgres.Config {
	return postgres.Config{URL: envOr("DATABASE_URL", defaultDatabaseURL), PasswordFile: os.Getenv("DATABASE_PASSWORD_FILE"), MaxConns: 2}
}
