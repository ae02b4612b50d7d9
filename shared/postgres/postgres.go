// Package postgres opens the pgx pool every service uses, with explicit
// limits and timeouts, and redacts connection strings for display.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/shared/secrets"
)

// Config locates the database. The password belongs in DATABASE_URL's
// password file (PGPASSFILE) or in DATABASE_PASSWORD_FILE, never in logs.
type Config struct {
	URL              string        `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/tributary?sslmode=disable" help:"PostgreSQL connection URL (sslmode up to verify-full)"`
	PasswordFile     string        `env:"DATABASE_PASSWORD_FILE" help:"file holding the password (keeps it out of DATABASE_URL)"`
	MaxConns         int32         `env:"DATABASE_MAX_CONNS" envDefault:"4" help:"connection pool size"`
	StatementTimeout time.Duration `env:"DATABASE_STATEMENT_TIMEOUT" envDefault:"5m" help:"statement_timeout of every session"`
	LockTimeout      time.Duration `env:"DATABASE_LOCK_TIMEOUT" envDefault:"1m" help:"lock_timeout of every session"`
	IdleInTxTimeout  time.Duration `env:"DATABASE_IDLE_IN_TX_TIMEOUT" envDefault:"5m" help:"idle_in_transaction_session_timeout of every session"`
}

// Validate checks the limits.
func (c *Config) Validate() error {
	if c.URL == "" {
		return errors.New("DATABASE_URL is empty")
	}
	if c.MaxConns < 1 {
		return fmt.Errorf("DATABASE_MAX_CONNS is %d, want at least 1", c.MaxConns)
	}
	return nil
}

// PoolConfig parses the URL and applies limits, timeouts, the client
// encoding and the application name (visible in pg_stat_activity).
func (c Config) PoolConfig(appName string) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(c.URL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err) // pgx redacts the password itself
	}
	if c.PasswordFile != "" {
		password, err := secrets.Read(c.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("read DATABASE_PASSWORD_FILE: %w", err)
		}
		pc.ConnConfig.Password = password
	}
	pc.MaxConns = c.MaxConns
	params := pc.ConnConfig.RuntimeParams
	params["application_name"] = appName
	params["statement_timeout"] = millis(c.StatementTimeout)
	params["lock_timeout"] = millis(c.LockTimeout)
	params["idle_in_transaction_session_timeout"] = millis(c.IdleInTxTimeout)
	// Everything the services send is UTF-8. Left at a database's own
	// encoding (LATIN1, WIN1252...), PostgreSQL would store UTF-8 bytes as
	// other characters; with UTF8 it converts, and refuses what the
	// database cannot hold (the loader then rejects that row alone).
	params["client_encoding"] = "UTF8"
	return pc, nil
}

// Open creates the pool without waiting for the server: it may come up
// later, and the pool dials on demand.
func Open(ctx context.Context, c Config, appName string) (*pgxpool.Pool, error) {
	pc, err := c.PoolConfig(appName)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open pool for %s: %w", Redact(c.URL), err)
	}
	return pool, nil
}

func millis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

var (
	keywordPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)
	urlUserinfo     = regexp.MustCompile(`(://[^:/@]*:)[^@]*@`)
)

// Redact hides the password of a connection string, URL or keyword form.
func Redact(conn string) string {
	if u, err := url.Parse(conn); err == nil && u.Scheme != "" {
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	conn = urlUserinfo.ReplaceAllString(conn, "${1}xxxxx@")
	return keywordPassword.ReplaceAllString(conn, "${1}xxxxx")
}
