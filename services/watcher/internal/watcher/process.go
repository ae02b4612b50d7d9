package watcher

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"

	"github.com/tributary-dev/tributary/services/watcher/internal/dirfd"
	"github.com/tributary-dev/tributary/services/watcher/internal/publish"
	"github.com/tributary-dev/tributary/services/watcher/internal/split"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/logging"
)

// keyContract is the log attribute naming a file's contract.
const keyContract = "contract"

// handle publishes a claimed file to its contract and archives it, or
// rejects it. On any other failure the file stays claimed and the next
// scan retries it. It reports whether the file is still on its way (in a
// bundle being sent): whoever finishes it then dequeues it.
func (w *Watcher) handle(ctx context.Context, it item) (pending bool) {
	name, claimed := it.name, it.path
	log := fileLog{log: w.log, name: name}
	info, err := w.lstat(claimed)
	if err != nil {
		w.forget(claimed)
		return false
	}
	if w.finishMove(it, info) {
		return false
	}
	rej := ingest.Rejection{FileName: name, LandedAt: it.landedAt, Entry: entryID(info)}
	// The contract follows from the name the file landed under, which its
	// claim and an adoption keep: a retry, a restart or another watcher
	// routes it the same way. Whatever befalls the file is reported there.
	c, err := w.contracts.Match(name, it.found)
	if err != nil {
		rej.Reason = err.Error()
		w.reject(ctx, it, "", rej, RejectNoContract)
		return false
	}
	log.contract = c.Name
	if reason := notRegular(info.Mode()); reason != "" {
		rej.Reason = reason
		w.reject(ctx, it, c.Name, rej, RejectNotRegular)
		return false
	}
	// O_NOFOLLOW: a symlink swapped in after the Lstat is refused, never
	// followed; O_NONBLOCK: a FIFO swapped in cannot hang the open.
	f, err := w.openFile(claimed)
	if err != nil {
		if class, reason := openFailure(err); reason != "" {
			rej.Reason = reason
			w.reject(ctx, it, c.Name, rej, class)
			return false
		}
		log.Error("cannot open file; will retry", logging.Err(err))
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		log.Error("cannot stat file; will retry", logging.Err(err))
		return false
	}
	rej.Size = st.Size()
	if class, reason := w.unacceptable(st); reason != "" {
		rej.Reason = reason
		w.reject(ctx, it, c.Name, rej, class)
		return false
	}
	// A producer writing in place may pause for longer than the settle
	// time; the claim rename does not stop it writing. Wait in the claim
	// directory (retried on every rescan) until its writer closes the file.
	if writing, _ := openForWriting(f.Fd()); writing {
		if w.mark(w.writing, claimed, true) {
			log.Info("file is still open for writing; waiting until its writer closes it")
		}
		return false
	}
	w.mark(w.writing, claimed, false)

	start := w.now()
	maxPart := w.pub.MaxPartBytes(w.cfg.MaxPartBytes)
	got, err := w.inspect(f, name, st.Size(), maxPart, c)
	defer got.Close()
	if err == nil && changed(f, st) {
		err = split.ErrChanged
	}
	var re *split.RejectError
	switch {
	case errors.As(err, &re):
		rej.Reason = re.Reason
		w.reject(ctx, it, c.Name, rej, RejectFormat)
		return false
	case errors.Is(err, split.ErrChanged):
		w.changedWhileRead(log, claimed)
		return false
	case err != nil:
		log.Error("cannot read file; will retry", logging.Err(err))
		return false
	}
	layout := got.layout
	log.id = layout.FileID
	file := publish.File{Name: name, Contract: c.Name, LandedAt: it.landedAt, Content: got.parts, Layout: layout}
	sent := published{it: it, log: log, contract: c.Name, layout: layout, st: st, start: start}
	if w.bundles != nil && bundleable(layout, maxPart) {
		return w.bundle(ctx, file, f, sent)
	}
	if err := w.pub.PublishFile(ctx, file); err != nil {
		if ctx.Err() == nil {
			log.Error("cannot publish file; will retry", logging.Err(err))
		}
		return false
	}
	w.archive(sent)
	return false
}

// bundle hands a small file to the bundler (see package bundle); it is
// archived once its bundle is stored. It reports whether the file is on
// its way.
func (w *Watcher) bundle(ctx context.Context, file publish.File, f dirfd.Reader, p published) (pending bool) {
	entry, err := w.pub.Entry(file)
	// A file read whole into memory (see smallFile) gives the body inspect
	// hashed, checked unchanged before; a larger one (a compressed file
	// that expands to little) was read again.
	if err == nil && p.st.Size() >= smallFile && changed(f, p.st) {
		err = split.ErrChanged
	}
	switch {
	case errors.Is(err, split.ErrChanged):
		w.changedWhileRead(p.log, p.it.path)
		return false
	case err != nil:
		p.log.Error("cannot read file; will retry", logging.Err(err))
		return false
	}
	err = w.bundles.Add(ctx, file.Contract, entry, func(err error) {
		if err == nil {
			w.archive(p)
		}
		w.dequeue(p.it.path)
	})
	return err == nil // if not, stopping: the file stays claimed for the next start
}

// bundleable reports whether a file goes into a bundle with others (see
// package bundle): a file of one part that leaves room in a message for
// another.
func bundleable(l split.Layout, maxPart int64) bool {
	return len(l.Parts) == 1 && !l.Parts[0].Oversized && l.Parts[0].Length <= maxPart/2
}

// published is a file the stream has stored.
type published struct {
	it       item
	log      fileLog
	contract string
	layout   split.Layout
	st       fs.FileInfo // as it was read
	start    time.Time
}

// archive moves a published file to archive/, unless it changed since it
// was read: what was published is consistent (its id is its bytes), but
// archiving would drop the rest unpublished.
func (w *Watcher) archive(p published) {
	claimed, log := p.it.path, p.log
	if now, err := w.lstat(claimed); err != nil || !sameFile(now, p.st) || now.Size() != p.st.Size() || !now.ModTime().Equal(p.st.ModTime()) {
		w.changedWhileRead(log, claimed)
		return
	}
	if _, err := w.moveTo(claimed, datadir.Archive, p.it.name, 0); err != nil {
		log.Error("published but not archived; will publish again (a no-op) and retry", logging.Err(err))
		return
	}
	w.forget(claimed)
	w.obs.FileArchived(p.contract, p.layout.Rows)
	log.Info("file published", "format", formatOf(p.layout), logging.KeyRows, p.layout.Rows, "parts", len(p.layout.Parts), "bytes", p.st.Size(),
		logging.KeyTook, w.now().Sub(p.start).Round(time.Microsecond))
}

// changedWhileRead keeps a file someone is still writing in place in the
// claim directory, where the settle rule applies to it from now on. It is
// not handed back to input: a producer's rename into input could replace
// it there.
func (w *Watcher) changedWhileRead(log fileLog, claimed string) {
	w.mark(w.unsettled, claimed, true)
	log.Warn("file changed while it was read; will retry once it is quiet")
}

// changed reports whether f's size or modification time differs from st.
// An error counts as a change: the retry decides.
func changed(f dirfd.Reader, st fs.FileInfo) bool {
	now, err := f.Stat()
	return err != nil || now.Size() != st.Size() || !now.ModTime().Equal(st.ModTime())
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

// reject records the refusal in the stream, on the rejected subject of
// the file's contract ("" when it has none; the loader writes it to
// rejected_files), then moves the file to rejected/ with NAME.reason
// beside it. If the notice cannot be published the file stays claimed.
func (w *Watcher) reject(ctx context.Context, it item, contract string, rej ingest.Rejection, class string) {
	log := fileLog{log: w.log, name: it.name, contract: contract}
	if err := w.pub.PublishRejection(ctx, contract, rej); err != nil {
		if ctx.Err() == nil {
			log.Error("cannot publish rejection; will retry", logging.Err(err))
		}
		return
	}
	target, err := w.moveTo(it.path, datadir.Rejected, it.name, len(datadir.ReasonSuffix))
	if err != nil {
		log.Error("cannot move rejected file; will retry", logging.Err(err))
		return
	}
	w.forget(it.path)
	reason := rej.Reason + "\n"
	if err := w.root.WriteFile(target+datadir.ReasonSuffix, []byte(reason), 0o644); err != nil {
		log.Error("cannot write rejection reason", logging.Err(err))
	}
	w.obs.FileRejected(contract, class)
	log.Warn("file rejected", "reason", rej.Reason, "moved_to", logging.SafeName(target))
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
