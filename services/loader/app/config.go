package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/tributary-dev/tributary/services/loader/internal/partition"
	"github.com/tributary-dev/tributary/services/loader/internal/retention"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/logging"
	"github.com/tributary-dev/tributary/shared/natsconn"
	"github.com/tributary-dev/tributary/shared/postgres"
)

// Config is the loader's environment.
type Config struct {
	Log           logging.Config
	NATS          natsconn.Config
	Stream        ingest.Settings
	Postgres      postgres.Config
	Data          datadir.Config   // its archive/ is where retention removes loaded files
	Retention     retention.Config // ledger and archive retention
	Partitions    partition.Config // user_activity's day partitions and their retention
	HTTPAddr      string           `env:"HTTP_ADDR" envDefault:"127.0.0.1:9103" help:"address of /metrics, /healthz and /readyz; \"off\" disables them"`
	Pprof         bool             `env:"HTTP_PPROF" envDefault:"false" help:"also serve net/http/pprof on HTTP_ADDR (CPU and allocation profiles; keep off in production)"`
	Workers       int              `env:"LOADER_WORKERS" envDefault:"2" help:"batches loaded at once, each on its own connection"`
	BatchMessages int              `env:"LOADER_BATCH_MESSAGES" envDefault:"16" help:"most messages (file parts) in one transaction"`
	BatchRows     int              `env:"LOADER_BATCH_ROWS" envDefault:"100000" help:"most rows in one transaction (from the watcher's row counts)"`
	BatchBytes    int              `env:"LOADER_BATCH_BYTES" envDefault:"4194304" help:"most message bytes in one transaction; with LOADER_WORKERS it bounds the message data the loader holds"`
	BatchWait     time.Duration    `env:"LOADER_BATCH_WAIT" envDefault:"0s" help:"extra wait for a batch to fill once a message arrived; 0 loads what is there"`
	MaxBackoff    time.Duration    `env:"LOADER_MAX_BACKOFF" envDefault:"30s" help:"longest pause between retries while PostgreSQL or NATS is unavailable"`
	Migrate       bool             `env:"LOADER_MIGRATE" envDefault:"true" help:"apply schema migrations on start (safe with several loaders)"`
	ContractsDir  string           `env:"CONTRACTS_DIR" envDefault:"./contracts" help:"directory of the contract declarations (*.yaml); changes are picked up while running"`
	ContractsPoll time.Duration    `env:"CONTRACTS_POLL" envDefault:"2s" help:"how often the declarations and their tables are read again"`
}

// Validate checks the loader's own settings.
func (c *Config) Validate() error {
	var errs []error
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("LOADER_WORKERS is %d, want at least 1", c.Workers))
	}
	if int(c.Postgres.MaxConns) < c.Workers {
		errs = append(errs, fmt.Errorf("DATABASE_MAX_CONNS (%d) must be at least LOADER_WORKERS (%d)", c.Postgres.MaxConns, c.Workers))
	}
	if c.BatchMessages < 1 || c.BatchRows < 1 || c.BatchBytes < 1 {
		errs = append(errs, errors.New("LOADER_BATCH_MESSAGES, LOADER_BATCH_ROWS and LOADER_BATCH_BYTES must be positive"))
	}
	if c.ContractsPoll < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("CONTRACTS_POLL is %s, want at least 100ms", c.ContractsPoll))
	}
	if c.BatchWait < 0 || c.MaxBackoff < 100*time.Millisecond {
		errs = append(errs, errors.New("LOADER_BATCH_WAIT must not be negative and LOADER_MAX_BACKOFF at least 100ms"))
	}
	if c.BatchMessages*c.Workers > c.Stream.MaxAckPending {
		errs = append(errs, fmt.Errorf("LOADER_BATCH_MESSAGES x LOADER_WORKERS (%d) exceeds CONSUMER_MAX_ACK_PENDING (%d)", c.BatchMessages*c.Workers, c.Stream.MaxAckPending))
	}
	return errors.Join(errs...)
}
