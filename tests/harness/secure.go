package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/secrets"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
)

// RepoFile is the path of a file of the repository, such as a shipped
// configuration under deployments/.
func RepoFile(rel string) string {
	if root := os.Getenv(RepoEnv); root != "" {
		return filepath.Join(root, filepath.FromSlash(rel))
	}
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", filepath.FromSlash(rel))
}

// RepoEnv overrides where RepoFile looks: a test re-run as another user
// points it at a readable copy when the checkout is private to its owner.
const RepoEnv = "TRIBUTARY_REPO"

// Credentials makes a fresh set of identities (nkeys) in a temporary
// directory, as `ctl up` and `ctl credentials` do.
func Credentials(t testing.TB) *secrets.Set {
	t.Helper()
	creds, err := secrets.Ensure(filepath.Join(t.TempDir(), "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

// ShippedNATSOptions loads a shipped nats-server configuration (conf is
// relative to the repository, e.g. deployments/nats/nats.conf) with the
// public keys of creds in the environment, then moves it to a random
// loopback port, turns monitoring off and stores in a temporary directory.
// Authentication and permissions stay exactly as shipped.
func ShippedNATSOptions(t testing.TB, conf string, creds *secrets.Set) *server.Options {
	t.Helper()
	for _, kv := range creds.ServerEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	opts, err := server.ProcessConfigFile(RepoFile(conf))
	if err != nil {
		t.Fatalf("load %s: %v", conf, err)
	}
	opts.Host, opts.Port = "127.0.0.1", -1
	opts.HTTPHost, opts.HTTPPort = "", 0
	opts.StoreDir = t.TempDir()
	opts.NoLog, opts.NoSigs = true, true
	return opts
}

// NewSecure is New with the shipped least-privilege settings: NATS
// configured from deployments/nats/nats.conf (nkeys, per-service
// permissions), each service connecting as its own identity, and the loader
// connecting to PostgreSQL as a login role that is a member of
// tributary_loader, its password in a file (DATABASE_PASSWORD_FILE).
func NewSecure(t testing.TB) *Env {
	t.Helper()
	creds := Credentials(t)
	return NewSecureOn(t, creds, natstest.Start(t, ShippedNATSOptions(t, "deployments/nats/nats.conf", creds)))
}

// NewSecureOn is NewSecure on servers (a cluster: clients list them all)
// that know creds.
func NewSecureOn(t testing.TB, creds *secrets.Set, servers ...*server.Server) *Env {
	t.Helper()
	e := NewSecureAt(t, creds, ClientURLs(servers...))
	e.NATS = servers[0]
	return e
}

// NewSecureAt is NewSecure on NATS servers the test runs itself, at
// natsURL, that know creds.
func NewSecureAt(t testing.TB, creds *secrets.Set, natsURL string) *Env {
	t.Helper()
	e := NewAt(t, natsURL)
	e.Creds = creds
	passwordFile, err := creds.PasswordFile(secrets.Loader)
	if err != nil {
		t.Fatal(err)
	}
	role := e.loaderLogin(passwordFile)
	u, err := url.Parse(e.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	e.ServiceVars = map[string]map[string]string{
		"watcher": {"NATS_NKEY_FILE": creds.NATS[secrets.Watcher].SeedFile},
		"loader": {
			"NATS_NKEY_FILE":         creds.NATS[secrets.Loader].SeedFile,
			"DATABASE_URL":           u.String(),
			"DATABASE_PASSWORD_FILE": passwordFile,
			"LOADER_MIGRATE":         "false", // the owner migrates; the loader role may not
		},
	}
	return e
}

// loaderLogin creates a login role for this test, a member of the loader
// role, with the password in passwordFile. (Tests do not share the
// cluster-wide tributary_loader login: each has its own member role.)
func (e *Env) loaderLogin(passwordFile string) string {
	e.T.Helper()
	ctx := context.Background()
	password, err := os.ReadFile(passwordFile)
	if err != nil {
		e.T.Fatal(err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	role := "tributary_loader_" + hex.EncodeToString(suffix)
	if err := db.SetLogin(ctx, e.Pool, role, strings.TrimSpace(string(password)), true); err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() {
		if _, err := e.Pool.Exec(context.Background(), "DROP ROLE IF EXISTS "+role); err != nil {
			e.T.Logf("drop role %s: %v", role, err)
		}
	})
	if _, err := e.Pool.Exec(ctx, "GRANT "+db.LoaderRole+" TO "+role); err != nil {
		e.T.Fatal(err)
	}
	return role
}
