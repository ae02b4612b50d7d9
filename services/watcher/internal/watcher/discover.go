package watcher

import (
	"errors"
	"fmt"
	"io"
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
	w.each(datadir.Input, func(e fs.DirEntry) bool {
		if w.ignore(e.Name()) {
			return true
		}
		info, err := e.Info()
		if err != nil {
			return true
		}
		if info.Mode().IsRegular() && w.now().Sub(info.ModTime()) < w.cfg.Settle {
			return true
		}
		w.take(e.Name(), changeTime(info))
		return true
	})
}

// scanClaims schedules the files in our claim directory, until the queue
// is full. A backlog waits there, claimed: each refill reads past the
// files already queued without a stat, so that draining a backlog of n
// files costs O(n), not a listing and a stat of every claim per refill.
func (w *Watcher) scanClaims() {
	w.eachClaim(w.cfg.ID, func(p, name string, e fs.DirEntry) bool {
		if w.isQueued(p) {
			return true
		}
		info, err := e.Info()
		if err != nil {
			return true // gone meanwhile
		}
		if w.isUnsettled(p) && w.now().Sub(info.ModTime()) < w.cfg.Settle {
			return true // it changed while it was read: wait until it is quiet
		}
		return w.enqueue(item{path: p, name: name, landedAt: changeTime(info)})
	})
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

// eachClaim calls fn with each file claimed by watcher id (its path, the
// name it landed under), in its claim directory and then in its slots,
// until fn returns false. A slot read whole is removed if it is empty by
// then (fn may have moved its files away): rmdir refuses any other.
func (w *Watcher) eachClaim(id string, fn func(path, name string, e fs.DirEntry) bool) {
	dir := datadir.ClaimDir(id)
	var slots []string
	more := w.each(dir, func(e fs.DirEntry) bool {
		p := path.Join(dir, e.Name())
		switch {
		case e.IsDir() && datadir.IsClaimSlot(e.Name()):
			slots = append(slots, p)
			return true
		case strings.HasPrefix(e.Name(), "."):
			return true // not a claim: a hidden name is never claimed
		}
		return fn(p, e.Name(), e)
	})
	for _, slot := range slots {
		if !more {
			return
		}
		more = w.each(slot, func(e fs.DirEntry) bool {
			return fn(path.Join(slot, e.Name()), e.Name(), e)
		})
		if more {
			_ = w.root.Remove(slot) // refused unless empty
		}
	}
}

// adoptOrphans takes over the claims of watchers that are gone: a watcher
// holds its claim lock for as long as it runs, and the kernel releases it
// when the process dies, so a lock we can take belongs to nobody. A slow or
// blocked watcher keeps its claims however long it takes.
func (w *Watcher) adoptOrphans() {
	var gone []string
	w.each(datadir.Claimed, func(dir fs.DirEntry) bool {
		if id := dir.Name(); dir.IsDir() && id != w.cfg.ID && !strings.HasPrefix(id, ".") {
			gone = append(gone, id)
		}
		return true
	})
	for _, id := range gone {
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
	w.eachClaim(id, func(p, name string, e fs.DirEntry) bool {
		info, err := e.Info()
		if err != nil {
			return true // gone meanwhile
		}
		it, err := w.claim(p, name)
		if err != nil {
			w.log.Error("cannot adopt a claimed file", logging.KeyFile, logging.SafeName(name), "from", id, logging.Err(err))
			return true
		}
		it.landedAt = changeTime(info)
		w.log.Warn("adopted a file claimed by a watcher that is gone", logging.KeyFile, logging.SafeName(name), "from", id)
		w.enqueue(it) // if the queue is full, it waits in our claims
		return true
	})
}

// listChunk is how many entries each reads at a time: a directory of a
// million files is never held in memory whole.
const listChunk = 256

// each calls fn with the entries of dir, read a chunk at a time, until fn
// returns false; it reports whether it read them all.
func (w *Watcher) each(dir string, fn func(fs.DirEntry) bool) bool {
	f, err := w.root.Open(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			w.log.Error("cannot list directory", "dir", dir, logging.Err(err))
		}
		return true
	}
	defer f.Close()
	for {
		entries, err := f.ReadDir(listChunk)
		for _, e := range entries {
			if !fn(e) {
				return false
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return true
		case err != nil:
			w.log.Error("cannot list directory", "dir", dir, logging.Err(err))
			return true
		}
	}
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
