//go:build linux

package dirwatch

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Watcher watches one directory.
type Watcher struct {
	file   *os.File
	events chan Event
	quit   chan struct{}
	done   chan struct{}
}

// Open starts watching dir.
func Open(dir string) (*Watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	// The runtime poller serves a non-blocking fd: Read parks the goroutine
	// and Close wakes it.
	file := os.NewFile(uintptr(fd), "inotify")
	const mask = unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		file.Close()
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	w := &Watcher{file: file, events: make(chan Event, 1024), quit: make(chan struct{}), done: make(chan struct{})}
	go w.read()
	return w, nil
}

// Events delivers ready files; it is closed after Close.
func (w *Watcher) Events() <-chan Event { return w.events }

// Close stops watching and waits for the reader to finish.
func (w *Watcher) Close() error {
	close(w.quit)
	err := w.file.Close()
	<-w.done
	return err
}

func (w *Watcher) read() {
	defer close(w.done)
	defer close(w.events)
	var buf [64 << 10]byte
	for {
		n, err := w.file.Read(buf[:])
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				w.send(Event{Overflow: true}) // cannot trust events any more: rescan
			}
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			switch {
			case ev.Mask&(unix.IN_Q_OVERFLOW|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED) != 0:
				if !w.send(Event{Overflow: true}) {
					return
				}
			case ev.Mask&unix.IN_ISDIR == 0 && ev.Len > 0:
				if !w.send(Event{Name: cString(nameBytes)}) {
					return
				}
			}
		}
	}
}

// send delivers ev unless the watcher is closing.
func (w *Watcher) send(ev Event) bool {
	select {
	case w.events <- ev:
		return true
	case <-w.quit:
		return false
	}
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
