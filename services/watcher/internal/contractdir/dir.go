// Package contractdir keeps the watcher's view of the contracts declared in
// a directory current while it runs: which contract each landed file
// belongs to. An edit that breaks a declaration never reroutes its files:
// the declaration keeps its last valid version until the edit is fixed.
package contractdir

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-dev/tributary/shared/contracts"
	"github.com/tributary-dev/tributary/shared/logging"
)

// Observer is told which contracts are in force, for metrics.
type Observer interface {
	ContractsLoaded(names []string)
}

// Dir is the contracts of one directory, reloaded when they change.
//
// It polls rather than watching with inotify: Load reads every declaration
// anyway (a few small files) and its Digest tells whether any changed, so
// a poll catches every way a declaration is replaced (an editor's
// write-and-rename, a Kubernetes ConfigMap's symlink swap, a directory
// mounted over) with no event to miss and no queue to overflow, at the
// cost of a delay of one interval. Match also looks at the directory's
// modification time, one stat, unless it was looked at after the file was
// found: a declaration added (or renamed into place) is in force for every
// file landed after it, so a file landed right after its contract's
// declaration is never routed to a catch-all pattern, and a backlog costs
// a stat per burst of files rather than one per file.
type Dir struct {
	path     string
	interval time.Duration
	log      *slog.Logger
	obs      Observer

	// current is replaced whole, never changed: a file is routed by the
	// one Set it read, so a reload cannot race its processing.
	current atomic.Pointer[contracts.Set]
	// looked is when (monotonic, since epoch) the directory was last
	// looked at, raised only once current is as new as that look.
	looked atomic.Int64
	epoch  time.Time

	mu      sync.Mutex // serializes reloads and looks
	stamp   int64      // the directory's mtime (ns) when current was read
	failing bool       // the last reload could not read the directory
}

// Open loads the contracts of path, logging each refused declaration. Only
// a directory that cannot be read is an error.
func Open(path string, interval time.Duration, log *slog.Logger, obs Observer) (*Dir, error) {
	d := &Dir{path: path, interval: interval, log: log, obs: obs, epoch: time.Now()}
	d.stamp = d.modified()
	s, err := contracts.Load(path)
	if err != nil {
		return nil, fmt.Errorf("contracts dir %s (CONTRACTS_DIR): %w", path, err)
	}
	d.install(s, "contracts loaded")
	return d, nil
}

// Match returns the contract of a landed file named name, found (taken
// from input or the claim directory) at found; see contracts.Set.Match.
// A file is found after it landed, so a look at the directory after found
// saw every declaration made before the file landed.
func (d *Dir) Match(name string, found time.Time) (*contracts.Declaration, error) {
	if d.lookedBefore(found) {
		d.look(found)
	}
	return d.current.Load().Match(name)
}

// lookedBefore reports whether the directory was last looked at before t
// (always, for a zero t).
func (d *Dir) lookedBefore(t time.Time) bool {
	return t.IsZero() || t.Sub(d.epoch) >= time.Duration(d.looked.Load())
}

// look reloads the declarations if the directory changed since they were
// read, unless another look did since found. Under the reload lock: once
// looked says a look happened, current is as new as that look.
func (d *Dir) look(found time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.lookedBefore(found) {
		return
	}
	at := time.Since(d.epoch)
	if d.modified() != d.stamp {
		d.load()
	}
	d.looked.Store(int64(at))
}

// modified is the directory's modification time, 0 when it cannot be read.
func (d *Dir) modified() int64 {
	st, err := os.Stat(d.path)
	if err != nil {
		return 0
	}
	return st.ModTime().UnixNano()
}

// Run reloads the contracts every interval until ctx ends.
func (d *Dir) Run(ctx context.Context) error {
	ticker := time.NewTicker(d.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			d.reload()
		}
	}
}

// reload installs the declarations if they changed since the last load.
// A directory that cannot be read keeps the contracts in force.
func (d *Dir) reload() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.load()
}

// load reads the declarations and installs them if they changed; the
// caller holds mu.
func (d *Dir) load() {
	d.stamp = d.modified() // before reading: a change meanwhile is seen next time
	s, err := contracts.Load(d.path)
	if err != nil {
		if !d.failing {
			d.log.Error("cannot reload contracts; keeping those in force", "dir", d.path, logging.Err(err))
		}
		d.failing = true
		return
	}
	d.failing = false
	if s.Digest == d.current.Load().Digest {
		return
	}
	d.install(d.keepLastValid(s), "contracts reloaded")
}

// keepLastValid returns s with the version in force of each declaration s
// refuses: a file of that contract goes on being routed to it rather than
// to whichever pattern matches next, or rejected.
func (d *Dir) keepLastValid(s *contracts.Set) *contracts.Set {
	old := d.current.Load()
	merged := &contracts.Set{Declared: slices.Clone(s.Declared), Refused: s.Refused, Digest: s.Digest}
	for _, name := range slices.Sorted(maps.Keys(s.Refused)) {
		if prev, ok := old.Get(name); ok {
			d.log.Error("contract refused on reload; keeping its last valid version", "contract", name, logging.Err(s.Refused[name]))
			merged.Declared = append(merged.Declared, prev)
		}
	}
	slices.SortFunc(merged.Declared, func(a, b *contracts.Declaration) int { return strings.Compare(a.Name, b.Name) })
	return merged
}

// install puts s in force and says so.
func (d *Dir) install(s *contracts.Set, msg string) {
	kept := map[string]bool{}
	for _, c := range s.Declared {
		kept[c.Name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(s.Refused)) {
		if !kept[name] {
			d.log.Error("contract refused", "contract", name, logging.Err(s.Refused[name]))
		}
	}
	names := make([]string, len(s.Declared))
	for i, c := range s.Declared {
		names[i] = c.Name
	}
	d.current.Store(s)
	d.log.Info(msg, "dir", d.path, "contracts", names)
	if len(names) == 0 {
		d.log.Warn("no contract is declared; every landed file will be rejected", "dir", d.path)
	}
	d.obs.ContractsLoaded(names)
}
