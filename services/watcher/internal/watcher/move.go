package watcher

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/logging"
)

// finishMove completes a move into archive/ or rejected/ that a crash
// interrupted between its link and its unlink: the claimed file then has a
// second link there, under its name or a numbered one. The move started
// only once the stream had the file or its rejection notice, so the claim
// is dropped; refusing the file for its extra link would report a loaded
// file as rejected, or a rejected one twice.
func (w *Watcher) finishMove(it item, info fs.FileInfo) bool {
	if !info.Mode().IsRegular() || linkCount(info) < 2 {
		return false
	}
	for _, to := range []struct {
		dir, done string
		room      int
	}{
		{datadir.Archive, "archiving", 0},
		{datadir.Rejected, "rejecting", len(datadir.ReasonSuffix)},
	} {
		for i := 0; i < maxNumbered; i++ {
			st, err := w.lstat(path.Join(to.dir, fitted(it.name, i, to.room)))
			if err != nil || !sameFile(st, info) {
				continue // names may have gaps (archive retention)
			}
			if err := w.remove(it.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				w.log.Error("cannot drop the claim of a moved file; will retry", logging.KeyFile, logging.SafeName(it.name), logging.Err(err))
				return true
			}
			w.forget(it.path)
			w.log.Warn("finished "+to.done+" a file a crash left half-moved", logging.KeyFile, logging.SafeName(it.name))
			return true
		}
	}
	return false
}

// maxNumbered bounds the numbered names moveTo tries.
const maxNumbered = 1000

// moveTo moves src into dir under name, or under name with a counter when
// that is taken: an archived or rejected file is never overwritten. The
// move is a rename that never replaces (renameat2 RENAME_NOREPLACE: one
// system call, atomic); where the filesystem lacks it, a hard link then an
// unlink, and a crash between the two is finished by finishMove. The name
// is shortened if needed to leave room for a suffix of room bytes
// (".reason").
func (w *Watcher) moveTo(src, dir, name string, room int) (string, error) {
	for i := 0; i < maxNumbered; i++ {
		dst := path.Join(dir, fitted(name, i, room))
		switch err := w.renameNoReplace(src, dst); {
		case err == nil:
			return dst, nil
		case !errors.Is(err, fs.ErrExist):
			return "", err
		}
	}
	return "", fmt.Errorf("no free name for %s in %s", name, dir)
}

// numbered returns name, or name with ".N" before its extension.
func numbered(name string, n int) string {
	if n == 0 {
		return name
	}
	ext := path.Ext(name)
	if ext == name {
		ext = ""
	}
	return strings.TrimSuffix(name, ext) + "." + strconv.Itoa(n) + ext
}

// maxNameBytes is the longest file name Linux filesystems accept.
const maxNameBytes = 255

// fitted is numbered(name, n) cut, on a character boundary and keeping the
// counter, so that it plus room more bytes is a valid file name: a name at
// the limit can still be archived under a counter, or rejected with
// NAME.reason beside it.
func fitted(name string, n, room int) string {
	s := numbered(name, n)
	limit := maxNameBytes - room
	if len(s) <= limit {
		return s
	}
	tag := ""
	if n > 0 {
		tag = "." + strconv.Itoa(n)
	}
	cut := limit - len(tag)
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + tag
}
