package up

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/postgres"
	"github.com/tributary-dev/tributary/shared/secrets"
)

// credentials are what the children get to authenticate: the NATS
// server's public keys, and for each service the files of its secrets.
// Only file paths and public keys ever go into a child's environment.
type credentials struct {
	nats    []string // the server's: public keys
	watcher []string
	loader  []string
}

// prepareCredentials creates the development credentials on first run
// ($DATA_DIR/secrets, owner-only files), lets the loader role log in with
// its password, and returns each child's share.
func prepareCredentials(ctx context.Context, c Config, log *slog.Logger) (credentials, error) {
	set, err := secrets.Ensure(filepath.Join(c.DataDir, "secrets"))
	if err != nil {
		return credentials{}, err
	}
	cr := credentials{
		nats:    set.ServerEnv(),
		watcher: []string{"NATS_NKEY_FILE=" + set.NATS[secrets.Watcher].SeedFile},
		loader:  []string{"NATS_NKEY_FILE=" + set.NATS[secrets.Loader].SeedFile, "DATABASE_URL=" + c.DatabaseURL},
	}
	if f := os.Getenv("DATABASE_PASSWORD_FILE"); c.LoaderRole == "" && f != "" {
		cr.loader = append(cr.loader, "DATABASE_PASSWORD_FILE="+f) // the loader runs as DATABASE_URL's role
	}
	if c.LoaderRole != "" {
		passwordFile, err := set.PasswordFile(secrets.Loader)
		if err != nil {
			return credentials{}, err
		}
		loaderURL, err := asRole(c.DatabaseURL, c.LoaderRole)
		if err != nil {
			return credentials{}, err
		}
		if err := setLoginPassword(ctx, c.DatabaseURL, c.LoaderRole, passwordFile); err != nil {
			return credentials{}, err
		}
		cr.loader = []string{cr.loader[0], "DATABASE_URL=" + loaderURL, "DATABASE_PASSWORD_FILE=" + passwordFile}
	}
	log.Info("development credentials", "dir", set.Dir, "loader_database_role", c.LoaderRole,
		"nats_admin", "go tool nats --server nats://127.0.0.1:"+fmt.Sprint(c.NATSPort)+" --nkey "+set.NATS[secrets.Admin].SeedFile)
	saveReaderContext(c, set, log)
	return cr, nil
}

// saveReaderContext saves the nats CLI context of the read-only identity.
// The pipeline runs without it, so a failure is only a warning.
func saveReaderContext(c Config, set *secrets.Set, log *slog.Logger) {
	root, err := natsConfigRoot()
	if err != nil {
		log.Warn("nats context not saved", "error", err)
		return
	}
	path, err := saveNATSContext(root, NATSContext, natsContext{
		Description: "tributary task up, read-only (written by ctl up)",
		URL:         fmt.Sprintf("nats://127.0.0.1:%d", c.NATSPort),
		NKey:        set.NATS[secrets.Reader].SeedFile,
		InboxPrefix: "_INBOX." + secrets.Reader,
	})
	if err != nil {
		log.Warn("nats context not saved", "error", err)
		return
	}
	log.Info("nats context saved", "path", path, "try", "go tool nats --context "+NATSContext+" stream info INGEST")
}

// inheritedEnv is ctl's environment without the database credentials,
// which only the loader gets (as its own role): the other children never
// see the administrator's connection or password.
func inheritedEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "DATABASE_URL", "DATABASE_PASSWORD_FILE", "PGPASSWORD", "PGPASSFILE":
		default:
			env = append(env, kv)
		}
	}
	return env
}

// asRole is databaseURL with the user replaced and any password removed:
// the password comes from DATABASE_PASSWORD_FILE.
func asRole(databaseURL, role string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("DATABASE_URL must be a postgres:// URL to run the loader as %s (or pass -loader-role '')", role)
	}
	u.User = url.User(role)
	q := u.Query()
	q.Del("password")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func setLoginPassword(ctx context.Context, adminURL, role, passwordFile string) error {
	password, err := os.ReadFile(passwordFile)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", postgres.Redact(adminURL), err)
	}
	defer pool.Close()
	if err := db.SetLogin(ctx, pool, role, strings.TrimSpace(string(password)), false); err != nil {
		return fmt.Errorf("%w (DATABASE_URL's role needs CREATEROLE; or pass -loader-role '')", err)
	}
	return nil
}
