package watcher

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/logging"
)

// ready handles a file reported complete by inotify: renamed in, or closed
// by its writer. It needs no settle time.
func (w *Watcher) ready(name string) {
	if w.ignore(name) {
		return
	}
	info, err := w.lstat(path.Join(datadir.Input, name))
	if err != nil {
		return // already claimed, or gone
	}
	w.take(name, changeTime(info))
}

// scan lists our claim directory (files left by a crash or a failed
// attempt) and the input directory. Regular files found only by scanning
// must have settled: one still being written in place is left for later.
func (w *Watcher) scan() {
	w.scanClaims()
	for _, e := range w.list(datadir.Input) {
		if w.ignore(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if info.Mode().IsRegular() && w.now().Sub(info.ModTime()) < w.cfg.Settle {
			continue
		}
		w.take(e.Name(), changeTime(info))
	}
}

// scanClaims schedules the files in our claim directory.
func (w *Watcher) scanClaims() {
	for _, c := range w.claims(w.cfg.ID) {
		if w.isUnsettled(c.path) && w.now().Sub(c.info.ModTime()) < w.cfg.Settle {
			continue // it changed while it was read: wait until it is quiet
		}
		w.enqueue(c.item)
	}
}

// take claims input/name and schedules it. The claim happens here, at
// discovery, not when a worker is free: a producer's rename replaces a
// file waiting in input under the same name, so a file must leave input at
// once even while every worker waits on a full stream.
func (w *Watcher) take(name string, landedAt time.Time) {
	it, err := w.claim(path.Join(datadir.Input, name), name)
	if errors.Is(err, fs.ErrNotExist) {
		return // another watcher took it
	}
	if err != nil {
		w.log.Error("cannot claim file", logging.KeyFile, logging.SafeName(name), logging.Err(err))
		return
	}
	it.landedAt = landedAt
	w.obs.FileDiscovered()
	w.enqueue(it)
}

// claim moves src into our claim directory under name, never replacing a
// file already claimed there: into slot 0 or the first free slot after it
// (see datadir.ClaimSlot). Only the Run goroutine creates and removes
// slots, so a slot cannot vanish between its creation and the rename.
func (w *Watcher) claim(src, name string) (item, error) {
	for n := 0; n < maxNumbered; n++ {
		slot := datadir.ClaimSlot(w.cfg.ID, n)
		if n > 0 {
			if err := w.root.Mkdir(slot, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return item{}, fmt.Errorf("create claim slot: %w", err)
			}
		}
		dst := path.Join(slot, name)
		err := w.renameNoReplace(src, dst)
		if err == nil {
			return item{path: dst, name: name}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return item{}, err
		}
	}
	return item{}, fmt.Errorf("%d files named %s are claimed already", maxNumbered, name)
}

// claimed is a file found in a claim directory.
type claimed struct {
	item
	info fs.FileInfo
}

// claims lists the files claimed by watcher id, slots included, and
// removes the slots left empty.
func (w *Watcher) claims(id string) []claimed {
	var out []claimed
	for n, slot := range w.slots(id) {
		entries := w.list(slot)
		if n > 0 && len(entries) == 0 {
			_ = w.root.Remove(slot) // refused if a file arrived meanwhile
			continue
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue // a slot, listed by slots
			}
			if info, err := e.Info(); err == nil {
				out = append(out, claimed{item{path: path.Join(slot, e.Name()), name: e.Name(), landedAt: changeTime(info)}, info})
			}
		}
	}
	return out
}

// slots returns watcher id's claim directory followed by its slots.
func (w *Watcher) slots(id string) []string {
	dir := datadir.ClaimDir(id)
	out := []string{dir}
	for _, e := range w.list(dir) {
		if e.IsDir() && datadir.IsClaimSlot(e.Name()) {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	return out
}

// adoptOrphans takes over the claims of watchers that are gone: a watcher
// holds its claim lock for as long as it runs, and the kernel releases it
// when the process dies, so a lock we can take belongs to nobody. A slow or
// blocked watcher keeps its claims however long it takes.
func (w *Watcher) adoptOrphans() {
	for _, dir := range w.list(datadir.Claimed) {
		id := dir.Name()
		if !dir.IsDir() || id == w.cfg.ID || strings.HasPrefix(id, ".") {
			continue
		}
		w.adopt(id)
	}
}

// adopt moves the claims of watcher id into ours if it is gone. It holds
// id's lock meanwhile, so that a watcher restarting under that id waits
// rather than races the moves.
func (w *Watcher) adopt(id string) {
	unlock, err := tryLock(w.root, datadir.ClaimLock(id))
	if errors.Is(err, errLocked) {
		return // alive
	}
	if err != nil {
		w.log.Error("cannot tell whether a watcher is alive", "from", id, logging.Err(err))
		return
	}
	defer unlock()
	for _, c := range w.claims(id) {
		it, err := w.claim(c.path, c.name)
		if err != nil {
			w.log.Error("cannot adopt a claimed file", logging.KeyFile, logging.SafeName(c.name), "from", id, logging.Err(err))
			continue
		}
		it.landedAt = c.landedAt
		w.log.Warn("adopted a file claimed by a watcher that is gone", logging.KeyFile, logging.SafeName(c.name), "from", id)
		w.enqueue(it)
	}
	w.claims(id) // drops the slots just emptied
}

func (w *Watcher) list(dir string) []fs.DirEntry {
	f, err := w.root.Open(dir)
	if err != nil {
		w.log.Error("cannot list directory", "dir", dir, logging.Err(err))
		return nil
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.log.Error("cannot list directory", "dir", dir, logging.Err(err))
	}
	return entries
}

// ignore reports whether name is a hidden or temporary file, which a
// producer may still be writing. Each is logged once.
func (w *Watcher) ignore(name string) bool {
	if !isTemporary(name) {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ignored[name] {
		if len(w.ignored) > 10000 {
			clear(w.ignored) // bound memory; at worst a name is logged again
		}
		w.ignored[name] = true
		w.log.Info("ignoring hidden or temporary file", logging.KeyFile, logging.SafeName(name))
	}
	return true
}

func isTemporary(name string) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	for _, suffix := range []string{".tmp", ".part", ".swp", "~"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}
