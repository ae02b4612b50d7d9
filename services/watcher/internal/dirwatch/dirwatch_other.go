//go:build !linux

package dirwatch

// Watcher reports nothing on this platform: the watcher's periodic scan
// finds files instead.
type Watcher struct{ events chan Event }

// Open returns a watcher whose channel never fires.
func Open(string) (*Watcher, error) { return &Watcher{events: make(chan Event)}, nil }

// Events never delivers.
func (w *Watcher) Events() <-chan Event { return w.events }

// Close closes the channel.
func (w *Watcher) Close() error { close(w.events); return nil }
