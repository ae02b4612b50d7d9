package watcher

import (
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/logging"
)

// ready handles a file reported complete by inotify: renamed in, or closed
// by its writer. It needs no settle time.
func (w *Watcher) ready(name string) {
	if w.ignore(name) {
		return
	}
	info, err := w.root.Lstat(path.Join(datadir.Input, name))
	if err != nil {
		return // already claimed, or gone
	}
	w.enqueue(item{name: name, landedAt: changeTime(info)})
}

// scan lists our claim directory (files left by a crash or a failed
// attempt) and the input directory. Regular files found only by scanning
// must have settled: one still being written in place is left for later.
func (w *Watcher) scan() {
	for _, e := range w.list(w.claimDir()) {
		info, err := e.Info()
		if err == nil {
			w.enqueue(item{name: e.Name(), claimed: true, landedAt: changeTime(info)})
		}
	}
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
		w.enqueue(item{name: e.Name(), landedAt: changeTime(info)})
	}
}

// adoptOrphans takes over files another watcher claimed and never
// finished: it crashed, or its host is gone. If it was only slow, both
// publish the file, which the stream and the ledger absorb.
func (w *Watcher) adoptOrphans() {
	for _, dir := range w.list(datadir.Claimed) {
		if !dir.IsDir() || dir.Name() == w.cfg.ID {
			continue
		}
		other := path.Join(datadir.Claimed, dir.Name())
		for _, e := range w.list(other) {
			info, err := e.Info()
			if err != nil || w.now().Sub(changeTime(info)) < w.cfg.ClaimTimeout {
				continue
			}
			mine := path.Join(w.claimDir(), e.Name())
			if _, err := w.root.Lstat(mine); err == nil {
				continue // a file of that name is already ours: take it next time
			}
			if err := w.root.Rename(path.Join(other, e.Name()), mine); err != nil {
				continue // another watcher adopted it first
			}
			w.log.Warn("adopted a file claimed by another watcher", logging.KeyFile, logging.SafeName(e.Name()), "from", dir.Name())
		}
	}
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
