package harness

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/tributary-dev/tributary/shared/secrets"
)

// RepoFile is the path of a file of the repository, such as a shipped
// configuration under deployments/.
func RepoFile(rel string) string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", filepath.FromSlash(rel))
}

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
func ShippedNATSOptions(t *testing.T, conf string, creds *secrets.Set) *server.Options {
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
