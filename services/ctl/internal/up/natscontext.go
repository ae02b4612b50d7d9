package up

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
)

// NATSContext is the name of the nats CLI context `ctl up` saves, so that
// `go tool nats --context tributary stream info INGEST` needs no flags.
const NATSContext = "tributary"

// natsContext is a nats CLI context file, the fields of natscli v0.5.0's
// (github.com/nats-io/jsm.go v0.5.0, natscontext/context.go, settings)
// that a read-only nkey identity needs; the CLI leaves the others empty.
type natsContext struct {
	Description string `json:"description"`
	URL         string `json:"url"`
	NKey        string `json:"nkey"`         // path of the seed file, not the seed
	InboxPrefix string `json:"inbox_prefix"` // the server lets the identity subscribe to its own only
}

// natsConfigRoot is where the nats CLI looks for its configuration:
// $XDG_CONFIG_HOME, else ~/.config of the current user, as natscontext's
// defaultRoot finds it (the user database, not $HOME).
func natsConfigRoot() (string, error) {
	if xdg := os.Getenv("XDG_CONFIG_HOME"); xdg != "" {
		return xdg, nil
	}
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("find the nats CLI configuration: %w", err)
	}
	if u.HomeDir == "" {
		return "", errors.New("find the nats CLI configuration: the user has no home directory")
	}
	return filepath.Join(u.HomeDir, ".config"), nil
}

// saveNATSContext writes context name under root/nats/context/name.json
// as the nats CLI does (directory 0700, file 0600, replaced atomically),
// and returns its path. It holds the seed file's path, not the seed, and
// is rewritten on every run so that it follows the port in use.
func saveNATSContext(root, name string, c natsContext) (string, error) {
	if abs, err := filepath.Abs(c.NKey); err == nil {
		c.NKey = abs // the CLI runs from anywhere
	}
	dir := filepath.Join(root, "nats", "context")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create nats context dir: %w", err)
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*.json")
	if err != nil {
		return "", fmt.Errorf("write nats context: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, nothing to remove
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write nats context: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write nats context: %w", err)
	}
	path := filepath.Join(dir, name+".json")
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("write nats context: %w", err)
	}
	return path, nil
}
