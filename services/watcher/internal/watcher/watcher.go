// Package watcher finds files landed in $DATA_DIR/input and sees each one
// through: claim it, check it, publish it, archive it (or reject it with a
// reason). Discovery combines inotify events, a start-up scan and a
// periodic rescan, so an event lost to a queue overflow delays a file by one
// rescan at most.
package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/tributary-dev/tributary/services/watcher/internal/bundle"
	"github.com/tributary-dev/tributary/services/watcher/internal/decode"
	"github.com/tributary-dev/tributary/services/watcher/internal/dirfd"
	"github.com/tributary-dev/tributary/services/watcher/internal/dirwatch"
	"github.com/tributary-dev/tributary/services/watcher/internal/publish"
	"github.com/tributary-dev/tributary/shared/contracts"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// Contracts gives the contract of a landed file from its name; see package
// contractdir. Each call sees one consistent set of declarations.
type Contracts interface {
	Match(name string, found time.Time) (*contracts.Declaration, error)
}

// Publisher sends files and rejection notices to JetStream; see package
// publish.
type Publisher interface {
	Prepare(ctx context.Context) error
	MaxPartBytes(limit int64) int64
	MaxBundleBytes(limit int64) int64
	PublishFile(ctx context.Context, f publish.File) error
	PublishRejection(ctx context.Context, contract string, r ingest.Rejection) error
	// Entry and SendEntries send small files together; see package bundle.
	Entry(f publish.File) (ingest.Entry, error)
	bundle.Sender
}

// Observer is told what happens to files, for metrics. A file that matches
// no contract is rejected with contract "".
type Observer interface {
	FileDiscovered()
	FileArchived(contract string, rows int)
	FileRejected(contract, class string) // class is one of RejectClasses
}

// Classes of whole-file rejections: a bounded set, fit for a metric label.
const (
	RejectNotRegular = "not_regular" // symlink, directory, FIFO, device, socket
	RejectHardLinks  = "hard_links"
	RejectTooLarge   = "too_large"
	RejectUnreadable = "unreadable"  // permission denied
	RejectFormat     = "format"      // empty, bad header or encoding, unsplittable record
	RejectNoContract = "no_contract" // the name matches no contract's files pattern, or two equally
)

// RejectClasses lists every class FileRejected may report.
var RejectClasses = []string{RejectNotRegular, RejectHardLinks, RejectTooLarge, RejectUnreadable, RejectFormat, RejectNoContract}

// Config tunes the watcher.
type Config struct {
	ID           string        // names this watcher's claim directory; unique per watcher sharing a data dir
	Workers      int           // files processed at once
	Settle       time.Duration // a file found by a scan must be this old (it may still be written in place)
	Rescan       time.Duration
	MaxFileBytes int64
	// MaxDecodedBytes bounds what a compressed file may expand to, and a
	// Parquet file's rows as NDJSON.
	MaxDecodedBytes int64
	MaxPartBytes    int64 // largest message body; capped by the server's max_payload
	// BundleFiles is the most small files sent as one message (see
	// package bundle); 1 sends every file alone.
	BundleFiles int
}

// Watcher moves files from input to the stream.
type Watcher struct {
	cfg       Config
	dirs      datadir.Config
	contracts Contracts
	pub       Publisher
	obs       Observer
	log       *slog.Logger
	now       func() time.Time

	root  *os.Root
	queue chan item

	lockWait time.Duration // how long Run waits for its claim lock

	// Keyed by claimed path (item.path): several files of one name may be
	// claimed at once.
	mu         sync.Mutex
	queued     map[string]bool
	ignored    map[string]bool // names in input
	writing    map[string]bool // claimed files still open for writing
	unsettled  map[string]bool // claimed files that changed while read: the settle rule applies
	overflowed bool            // a claimed file found no room in the queue
	decoders   *decode.Pool    // the zstd decoders the workers share

	held    map[string]*dirfd.Dir // directories held open while Run runs, by path
	bundles *bundle.Bundler       // nil when files are sent alone
	refill  chan struct{}         // a token when the queue overflowed and has drained: list the claims again
}

// item is a claimed file to handle.
type item struct {
	path     string // relative to the data dir: claimed/<id>/NAME, or in a slot claimed/<id>/.N/NAME
	name     string // the name it landed under, published with it; claims and adoptions keep it, and it names the contract
	landedAt time.Time
	found    time.Time // when it was queued (monotonic): after it landed
}

// New returns a Watcher.
func New(cfg Config, dirs datadir.Config, cs Contracts, pub Publisher, obs Observer, log *slog.Logger, now func() time.Time) *Watcher {
	return &Watcher{
		cfg: cfg, dirs: dirs, contracts: cs, pub: pub, obs: obs, log: log, now: now,
		lockWait:  3 * time.Second,
		queue:     make(chan item, 4096),
		queued:    map[string]bool{},
		ignored:   map[string]bool{},
		writing:   map[string]bool{},
		unsettled: map[string]bool{},
		decoders:  decode.NewPool(zstdDecoders),
		refill:    make(chan struct{}, 1),
	}
}

// zstdDecoders bounds the zstd streams decoded at once, whatever
// WATCHER_WORKERS: each holds a window of up to 8 MiB (see decode.Pool).
const zstdDecoders = 2

func (w *Watcher) claimDir() string { return datadir.ClaimDir(w.cfg.ID) }

// Run watches until ctx ends. A file being published when ctx ends stays in
// the claim directory and is published again (idempotently) on restart.
// It refuses to start while another watcher runs with the same ID.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.dirs.Ensure(); err != nil {
		return err
	}
	root, err := os.OpenRoot(w.dirs.Dir)
	if err != nil {
		return fmt.Errorf("open data dir: %w", err)
	}
	defer root.Close()
	w.root = root
	if err := root.MkdirAll(w.claimDir(), 0o755); err != nil {
		return fmt.Errorf("create claim dir: %w", err)
	}
	closeDirs, err := w.openDirs()
	if err != nil {
		return err
	}
	defer closeDirs()
	unlock, err := w.lockClaims(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := w.pub.Prepare(ctx); err != nil {
		return err
	}
	events, err := dirwatch.Open(w.dirs.Path(datadir.Input))
	if err != nil {
		return err
	}
	defer events.Close()

	var wg sync.WaitGroup
	if w.cfg.BundleFiles > 1 {
		w.bundles = bundle.New(w.pub, bundle.Limits{Entries: w.cfg.BundleFiles, Bytes: func() int64 { return w.pub.MaxBundleBytes(w.cfg.MaxPartBytes) }})
		wg.Go(func() { w.bundles.Run(ctx) })
	}
	for range w.cfg.Workers {
		wg.Go(func() { w.work(ctx) })
	}
	defer wg.Wait()

	w.log.Info("watching", "dir", w.dirs.Path(datadir.Input), "watcher_id", w.cfg.ID, "workers", w.cfg.Workers)
	w.scan()
	ticker := time.NewTicker(w.cfg.Rescan)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events.Events():
			switch {
			case !ok:
				return errors.New("inotify watch ended")
			case ev.Overflow:
				w.log.Warn("file events lost; rescanning")
				w.scan()
			default:
				w.ready(ev.Name)
			}
		case <-ticker.C:
			w.scan()
			w.adoptOrphans()
		case <-w.refill:
			w.scanClaims()
		}
	}
}

func (w *Watcher) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-w.queue:
			if !w.handle(ctx, it) {
				w.dequeue(it.path)
			}
		}
	}
}

// dequeue forgets that a claimed file was queued: it is done with, or
// waits for the next scan. Once an overflowed queue has drained to a
// quarter, the claims left out are listed again at once rather than at the
// next rescan.
func (w *Watcher) dequeue(path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.queued, path)
	if w.overflowed && len(w.queue) < cap(w.queue)/4 {
		w.overflowed = false
		select {
		case w.refill <- struct{}{}:
		default:
		}
	}
}

// mark sets or clears a claimed file's flag in set and reports whether
// that changed, so that waiting is logged once.
func (w *Watcher) mark(set map[string]bool, path string, on bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if set[path] == on {
		return false
	}
	if on {
		set[path] = true
	} else {
		delete(set, path)
	}
	return true
}

// forget drops what is known of a claimed file that has left.
func (w *Watcher) forget(path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.writing, path)
	delete(w.unsettled, path)
}

func (w *Watcher) isUnsettled(path string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.unsettled[path]
}

// enqueue schedules it unless it is already waiting, and reports whether
// it is. When the queue is full the file is left in the claim directory
// for the next rescan rather than blocking discovery.
func (w *Watcher) enqueue(it item) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.queued[it.path] {
		return true
	}
	it.found = time.Now() // not w.now: only its order against other monotonic times counts
	select {
	case w.queue <- it:
		w.queued[it.path] = true
		return true
	default:
		w.overflowed = true
		return false
	}
}

func (w *Watcher) isQueued(path string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.queued[path]
}
