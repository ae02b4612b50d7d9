package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/tributary-dev/tributary/shared/secrets"
)

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
