package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// linkNoReplace moves oldname to newname without replacing a file there:
// link(2) never replaces its target. A crash between the link and the
// unlink leaves both names on one file, which the watcher recognises. What
// cannot be linked (a directory) is renamed after checking newname is free,
// which is not atomic against a file landing there at the same moment.
func linkNoReplace(root *os.Root, oldname, newname string) error {
	err := root.Link(oldname, newname)
	switch {
	case err == nil:
		if err := root.Remove(oldname); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s after linking it: %w", oldname, err)
		}
		return nil
	case errors.Is(err, fs.ErrExist), errors.Is(err, fs.ErrNotExist):
		return err
	}
	if _, err := root.Lstat(newname); !errors.Is(err, fs.ErrNotExist) {
		return fs.ErrExist
	}
	return root.Rename(oldname, newname)
}
