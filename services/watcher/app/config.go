package app

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/logging"
	"github.com/tributary-dev/tributary/shared/natsconn"
)

// Config is the watcher's environment.
type Config struct {
	Log             logging.Config
	Data            datadir.Config
	NATS            natsconn.Config
	Stream          ingest.Settings
	ContractsDir    string        `env:"CONTRACTS_DIR" envDefault:"./contracts" help:"directory of the contract declarations (*.yaml) that say which landed files go to which contract; re-read every WATCHER_RESCAN, and an edit that breaks a declaration keeps its last valid version"`
	HTTPAddr        string        `env:"HTTP_ADDR" envDefault:"127.0.0.1:9102" help:"address of /metrics, /healthz and /readyz; \"off\" disables them"`
	Pprof           bool          `env:"HTTP_PPROF" envDefault:"false" help:"also serve net/http/pprof on HTTP_ADDR (CPU and allocation profiles; keep off in production)"`
	ID              string        `env:"WATCHER_ID" help:"names this watcher's claim directory; unique per watcher sharing DATA_DIR (default: host name)"`
	Workers         int           `env:"WATCHER_WORKERS" envDefault:"4" help:"files processed at once"`
	Settle          time.Duration `env:"WATCHER_SETTLE" envDefault:"2s" help:"age a file found by a scan (not by a rename or close event) must reach"`
	Rescan          time.Duration `env:"WATCHER_RESCAN" envDefault:"2s" help:"interval of the safety-net directory scan and of the contracts' reload"`
	MaxFileBytes    int64         `env:"WATCHER_MAX_FILE_BYTES" envDefault:"1073741824" help:"larger files are rejected, never truncated"`
	MaxDecodedBytes int64         `env:"WATCHER_MAX_DECODED_BYTES" envDefault:"17179869184" help:"most bytes a gzip or zstd file may expand to, or a Parquet file's rows as NDJSON; beyond, it is rejected as a decompression bomb"`
	MaxMessageBytes int64         `env:"WATCHER_MAX_MESSAGE_BYTES" envDefault:"1048576" help:"largest message body; files are split on row boundaries to fit (capped by the server's max_payload)"`
	BundleFiles     int           `env:"WATCHER_BUNDLE_FILES" envDefault:"1000" help:"most small files sent as one message (a bundle, one fsync in JetStream) when several wait; 1 sends every file alone (loaders older than bundles need it)"`
}

// Validate checks the watcher's own settings.
func (c *Config) Validate() error {
	if c.ID == "" {
		host, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("WATCHER_ID is unset and the host name is unknown: %w", err)
		}
		c.ID = host
	}
	var errs []error
	if strings.ContainsAny(c.ID, `/\`) || c.ID == "." || c.ID == ".." || strings.HasPrefix(c.ID, ".") {
		errs = append(errs, fmt.Errorf("WATCHER_ID %q must be a plain name", c.ID))
	}
	if c.BundleFiles < 1 || c.BundleFiles > ingest.MaxBundleEntries {
		errs = append(errs, fmt.Errorf("WATCHER_BUNDLE_FILES is %d, want 1 to %d", c.BundleFiles, ingest.MaxBundleEntries))
	}
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("WATCHER_WORKERS is %d, want at least 1", c.Workers))
	}
	// Read here as well as at start, so that a wrong CONTRACTS_DIR is told
	// in one line rather than at the end of fx's chain of constructors.
	if _, err := os.ReadDir(c.ContractsDir); err != nil {
		errs = append(errs, fmt.Errorf("CONTRACTS_DIR %q cannot be read: %w", c.ContractsDir, err))
	}
	if c.Rescan <= 0 || c.Settle < 0 {
		errs = append(errs, errors.New("WATCHER_RESCAN must be positive, WATCHER_SETTLE not negative"))
	}
	if c.MaxFileBytes < 1 || c.MaxDecodedBytes < 1 || c.MaxMessageBytes < 4096 {
		errs = append(errs, errors.New("WATCHER_MAX_FILE_BYTES and WATCHER_MAX_DECODED_BYTES must be positive and WATCHER_MAX_MESSAGE_BYTES at least 4096"))
	}
	return errors.Join(errs...)
}
