// Package datadir is the layout of $DATA_DIR, the one directory tree the
// generator and the watcher share:
//
//	temp/      files being written (never read by the watcher)
//	input/     files landed atomically, waiting to be published
//	claimed/   files a watcher is publishing, one sub-directory per watcher
//	archive/   files published and acknowledged by JetStream
//	rejected/  files refused as a whole, each with NAME.reason beside it
package datadir

import (
	"fmt"
	"os"
	"path/filepath"
)

// Sub-directories of the data directory.
const (
	Temp     = "temp"
	Input    = "input"
	Claimed  = "claimed"
	Archive  = "archive"
	Rejected = "rejected"
)

// ReasonSuffix names the file that explains a rejection: rejected/NAME.reason.
const ReasonSuffix = ".reason"

// Config locates the data directory.
type Config struct {
	Dir string `env:"DATA_DIR" envDefault:"./data" help:"data directory (temp, input, claimed, archive, rejected)"`
}

// Path returns the absolute path of a sub-directory.
func (c Config) Path(sub string) string { return filepath.Join(c.Dir, sub) }

// Ensure creates the data directory and its sub-directories.
func (c Config) Ensure() error {
	for _, sub := range []string{Temp, Input, Claimed, Archive, Rejected} {
		if err := os.MkdirAll(c.Path(sub), 0o755); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
	}
	return nil
}

// SyncDir fsyncs a directory so that a rename into it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
