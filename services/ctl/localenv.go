package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/tributary-dev/tributary/shared/config"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/natsconn"
	"github.com/tributary-dev/tributary/shared/postgres"
	"github.com/tributary-dev/tributary/shared/secrets"
)

// operatorEnv is what the operator commands read, from the very variables
// the services read.
type operatorEnv struct {
	Data      datadir.Config
	NATS      natsconn.Config
	Stream    ingest.Settings
	Postgres  postgres.Config
	Contracts string `env:"CONTRACTS_DIR" envDefault:"./contracts" help:"directory of the contract declarations (*.yaml)"`
}

// loadOperatorEnv reads the environment (overrides win), defaulting to the
// pipeline `task up` runs (its NATS port, data dir and database) and to the
// NATS identity it generated for role.
func loadOperatorEnv(role string, overrides map[string]string) (operatorEnv, error) {
	vars := environ()
	for k, v := range overrides {
		if v != "" {
			vars[k] = v
		}
	}
	for k, v := range map[string]string{"NATS_URL": "nats://127.0.0.1:4322", "DATA_DIR": "data", "DATABASE_URL": defaultDatabaseURL} {
		if vars[k] == "" {
			vars[k] = v
		}
	}
	return config.FromMap[operatorEnv](withLocalIdentity(vars, role))
}

// environ returns the process environment as a map.
func environ() map[string]string {
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	return vars
}

// withLocalIdentity fills in the NATS identity `ctl up` generated for role
// (under $DATA_DIR/secrets) when the environment names none, so that ctl
// commands work against `task up` with no flags. An explicit identity in the
// environment always wins.
func withLocalIdentity(vars map[string]string, role string) map[string]string {
	if vars["NATS_NKEY_FILE"] != "" || vars["NATS_CREDS_FILE"] != "" || vars["NATS_USER"] != "" {
		return vars
	}
	dir := vars["DATA_DIR"]
	if dir == "" {
		dir = "data"
	}
	seed := filepath.Join(dir, "secrets", secrets.SeedFileName(role))
	if _, err := os.Stat(seed); err != nil {
		return vars
	}
	vars["NATS_NKEY_FILE"] = seed
	if vars["NATS_INBOX_PREFIX"] == "" {
		vars["NATS_INBOX_PREFIX"] = "_INBOX." + role
	}
	return vars
}
