// Package dirwatch tells when a file in a directory is complete: renamed
// into it (an atomic landing) or closed after being written in place.
//
// It talks to inotify directly rather than through fsnotify because the
// pipeline must tell those two moments apart from a mere creation: fsnotify
// reports IN_CREATE and IN_MOVED_TO alike and hides IN_CLOSE_WRITE, and a
// file published at creation would be published half-written.
package dirwatch

// Event is a file name that is ready, or an overflow: events were lost and
// the directory must be scanned.
type Event struct {
	Name     string
	Overflow bool
}
