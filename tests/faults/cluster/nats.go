package cluster

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
)

// NATS is a nats-server child process with a persistent store, so it can
// be stopped, killed and started again on the same port with the same data.
type NATS struct {
	*Proc
	URL    string
	dialer nats.CustomDialer // set when the server runs in a namespace of a Net
}

// NATSOptions shape the server.
type NATSOptions struct {
	SyncAlways bool // jetstream sync_interval: always (what the pipeline ships with)
	// StoreDir, when set, is the JetStream store directory (a small
	// filesystem of its own); by default it is under the test's directory.
	StoreDir string
}

func startNATS(bin, dir string, opts NATSOptions) (*NATS, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	sync := ""
	if opts.SyncAlways {
		sync = "sync_interval: always"
	}
	store := filepath.Join(dir, "store")
	if opts.StoreDir != "" {
		store = opts.StoreDir
	}
	conf := fmt.Sprintf(`server_name: faults
listen: 127.0.0.1:%d
max_payload: 1MB
jetstream {
  store_dir: %q
  max_file_store: 4GB
  %s
}
`, port, store, sync)
	confFile := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	n := &NATS{
		Proc: NewProc("nats", filepath.Join(bin, "nats-server"), []string{"-c", confFile}, nil, filepath.Join(dir, "nats.log")),
		URL:  fmt.Sprintf("nats://127.0.0.1:%d", port),
	}
	return n, n.Start()
}

// Start runs the server and waits until JetStream answers.
func (n *NATS) Start() error {
	if err := n.Proc.Start(); err != nil {
		return err
	}
	if err := waitJetStream(n.URL, n.dialer, 30*time.Second); err != nil {
		return fmt.Errorf("nats-server not ready (see %s): %w", n.LogFile(), err)
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
