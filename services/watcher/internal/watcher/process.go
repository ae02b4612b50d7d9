package watcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/tributary-dev/tributary/services/watcher/internal/publish"
	"github.com/tributary-dev/tributary/services/watcher/internal/split"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/logging"
)

// handle claims a file (an atomic rename into our claim directory, so that
// watchers sharing the input directory never both take it) and processes it.
func (w *Watcher) handle(ctx context.Context, it item) {
	claimed := path.Join(w.claimDir(), it.name)
	if !it.claimed {
		err := w.root.Rename(path.Join(datadir.Input, it.name), claimed)
		if errors.Is(err, fs.ErrNotExist) {
			return // another watcher took it
		}
		if err != nil {
			w.log.Error("cannot claim file", logging.KeyFile, logging.SafeName(it.name), logging.Err(err))
			return
		}
		w.obs.FileDiscovered()
	}
	w.process(ctx, it.name, claimed, it.landedAt)
}

// process publishes a claimed file and archives it, or rejects it. On any
// other failure the file stays claimed and the next scan retries it.
func (w *Watcher) process(ctx context.Context, name, claimed string, landedAt time.Time) {
	log := w.log.With(logging.KeyFile, logging.SafeName(name))
	info, err := w.root.Lstat(claimed)
	if err != nil {
		return
	}
	if w.finishArchive(claimed, name, info) {
		return
	}
	rej := ingest.Rejection{FileName: name, LandedAt: landedAt}
	if reason := notRegular(info.Mode()); reason != "" {
		rej.Reason = reason
		w.reject(ctx, name, claimed, rej, RejectNotRegular)
		return
	}
	// O_NOFOLLOW: a symlink swapped in after the Lstat is refused, never
	// followed; O_NONBLOCK: a FIFO swapped in cannot hang the open.
	f, err := w.root.OpenFile(claimed, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if class, reason := openFailure(err); reason != "" {
			rej.Reason = reason
			w.reject(ctx, name, claimed, rej, class)
			return
		}
		log.Error("cannot open file; will retry", logging.Err(err))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		log.Error("cannot stat file; will retry", logging.Err(err))
		return
	}
	rej.Size = st.Size()
	if class, reason := w.unacceptable(st); reason != "" {
		rej.Reason = reason
		w.reject(ctx, name, claimed, rej, class)
		return
	}
	// A producer writing in place may pause for longer than the settle
	// time; the claim rename does not stop it writing. Wait in the claim
	// directory (retried on every rescan) until its writer closes the file.
	if writing, _ := openForWriting(f); writing {
		if w.markWriting(name, true) {
			log.Info("file is still open for writing; waiting until its writer closes it")
		}
		return
	}
	w.markWriting(name, false)

	start := w.now()
	layout, err := split.Inspect(io.NewSectionReader(f, 0, st.Size()), st.Size(), w.pub.MaxPartBytes(w.cfg.MaxPartBytes))
	var re *split.RejectError
	switch {
	case errors.As(err, &re):
		rej.Reason = re.Reason
		w.reject(ctx, name, claimed, rej, RejectFormat)
		return
	case errors.Is(err, split.ErrChanged):
		// Still written in place: hand it back to the settle rule.
		log.Warn("file changed while it was read; will retry once it is quiet")
		_ = w.root.Rename(claimed, path.Join(datadir.Input, name))
		return
	case err != nil:
		log.Error("cannot read file; will retry", logging.Err(err))
		return
	}
	log = log.With(logging.KeyFileID, layout.FileID)
	err = w.pub.PublishFile(ctx, publish.File{Name: name, LandedAt: landedAt, Content: f, Layout: layout})
	if err != nil {
		if ctx.Err() == nil {
			log.Error("cannot publish file; will retry", logging.Err(err))
		}
		return
	}
	if _, err := w.moveTo(claimed, datadir.Archive, name, 0); err != nil {
		log.Error("published but not archived; will publish again (a no-op) and retry", logging.Err(err))
		return
	}
	w.obs.FileArchived(layout.Rows)
	log.Info("file published", logging.KeyRows, layout.Rows, "parts", len(layout.Parts), "bytes", layout.Size,
		logging.KeyTook, w.now().Sub(start).Round(time.Microsecond))
}

// unacceptable checks an opened regular file against the rules that keep
// the watcher inside its directory and its limits.
func (w *Watcher) unacceptable(st fs.FileInfo) (class, reason string) {
	if !st.Mode().IsRegular() {
		return RejectNotRegular, notRegular(st.Mode())
	}
	if n := linkCount(st); n > 1 {
		return RejectHardLinks, fmt.Sprintf("has %d hard links; only single-link files are read, since a link can expose a file from outside the data directory", n)
	}
	if st.Size() > w.cfg.MaxFileBytes {
		return RejectTooLarge, fmt.Sprintf("is %d bytes, more than the limit of %d bytes (WATCHER_MAX_FILE_BYTES)", st.Size(), w.cfg.MaxFileBytes)
	}
	return "", ""
}

// reject records the refusal in the stream (the loader writes it to
// rejected_files), then moves the file to rejected/ with NAME.reason beside
// it. If the notice cannot be published the file stays claimed.
func (w *Watcher) reject(ctx context.Context, name, claimed string, rej ingest.Rejection, class string) {
	log := w.log.With(logging.KeyFile, logging.SafeName(name))
	if err := w.pub.PublishRejection(ctx, rej); err != nil {
		if ctx.Err() == nil {
			log.Error("cannot publish rejection; will retry", logging.Err(err))
		}
		return
	}
	target, err := w.moveTo(claimed, datadir.Rejected, name, len(datadir.ReasonSuffix))
	if err != nil {
		log.Error("cannot move rejected file; will retry", logging.Err(err))
		return
	}
	reason := rej.Reason + "\n"
	if err := w.root.WriteFile(target+datadir.ReasonSuffix, []byte(reason), 0o644); err != nil {
		log.Error("cannot write rejection reason", logging.Err(err))
	}
	w.obs.FileRejected(class)
	log.Warn("file rejected", "reason", rej.Reason, "moved_to", logging.SafeName(target))
}

// finishArchive completes a move into archive/ that a crash interrupted
// between its link and its unlink: the claimed file then has a second link
// in archive/, under its name or a numbered one. Only an acknowledged file
// is archived, so the claim is dropped; refusing the file for its extra
// link would report a loaded file as rejected.
func (w *Watcher) finishArchive(claimed, name string, info fs.FileInfo) bool {
	if !info.Mode().IsRegular() || linkCount(info) < 2 {
		return false
	}
	for i := 0; i < maxNumbered; i++ {
		st, err := w.root.Lstat(path.Join(datadir.Archive, fitted(name, i, 0)))
		if err != nil || !os.SameFile(st, info) {
			continue // names may have gaps (archive retention)
		}
		if err := w.root.Remove(claimed); err != nil && !errors.Is(err, fs.ErrNotExist) {
			w.log.Error("cannot drop claim of an archived file; will retry", logging.KeyFile, logging.SafeName(name), logging.Err(err))
			return true
		}
		w.log.Warn("finished archiving a file a crash left half-moved", logging.KeyFile, logging.SafeName(name))
		return true
	}
	return false
}

// maxNumbered bounds the numbered names moveTo tries.
const maxNumbered = 1000

// moveTo moves src into dir under name, or under name with a counter when
// that is taken: an archived or rejected file is never overwritten. A hard
// link then an unlink makes the move atomic and no-clobber; where links are
// impossible (a directory) a rename into a free name is used. The name is
// shortened if needed to leave room for a suffix of room bytes (".reason").
func (w *Watcher) moveTo(src, dir, name string, room int) (string, error) {
	for i := 0; i < maxNumbered; i++ {
		dst := path.Join(dir, fitted(name, i, room))
		err := w.root.Link(src, dst)
		if err == nil {
			if err := w.root.Remove(src); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("remove %s after linking: %w", src, err)
			}
			return dst, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if _, statErr := w.root.Lstat(dst); errors.Is(statErr, fs.ErrNotExist) {
			return dst, w.root.Rename(src, dst)
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

func notRegular(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m&fs.ModeSymlink != 0:
		return "is a symbolic link; links are never followed, only regular files are read"
	case m.IsDir():
		return "is a directory; only regular files placed directly in input are read"
	case m&fs.ModeNamedPipe != 0:
		return "is a named pipe (FIFO); only regular files are read"
	case m&fs.ModeSocket != 0:
		return "is a socket; only regular files are read"
	case m&fs.ModeDevice != 0:
		return "is a device file; only regular files are read"
	}
	return "is not a regular file"
}

// openFailure turns an open error caused by the file itself into a
// rejection reason; other errors are worth a retry.
func openFailure(err error) (class, reason string) {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return RejectUnreadable, "cannot be read: permission denied"
	case errors.Is(err, syscall.ELOOP):
		return RejectNotRegular, "is a symbolic link; links are never followed, only regular files are read"
	}
	return "", ""
}
