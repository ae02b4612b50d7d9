// Package redrive puts what the pipeline refused back through it, once the
// cause is fixed: a rejected file back into the input directory, a dead
// letter back onto the ingest subject it came from. Exactly-once still
// holds: a file's identity is its content and a message's ledger key is
// derived from its part, so re-driving twice loads once.
package redrive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// Rejected is a file in $DATA_DIR/rejected and why it is there.
type Rejected struct {
	Name   string
	Reason string // empty when the reason file is missing
}

// ListRejected lists the rejected files, sorted by name.
func ListRejected(dirs datadir.Config) ([]Rejected, error) {
	root, err := os.OpenRoot(dirs.Dir)
	if err != nil {
		return nil, fmt.Errorf("open data dir: %w", err)
	}
	defer root.Close()
	dir, err := root.Open(datadir.Rejected)
	if err != nil {
		return nil, fmt.Errorf("open rejected dir: %w", err)
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list rejected dir: %w", err)
	}
	slices.Sort(names)
	var out []Rejected
	for _, n := range names {
		if strings.HasSuffix(n, datadir.ReasonSuffix) && slices.Contains(names, strings.TrimSuffix(n, datadir.ReasonSuffix)) {
			continue
		}
		reason, _ := root.ReadFile(path.Join(datadir.Rejected, n+datadir.ReasonSuffix))
		out = append(out, Rejected{Name: n, Reason: strings.TrimSuffix(string(reason), "\n")})
	}
	return out, nil
}

// File puts rejected/name, fixed by the operator, back into input/name with
// one atomic rename that never replaces a file already there; the watcher
// then takes it as newly landed. NAME.reason, which described the old
// content, is removed first (the refusal stays in rejected_files) and put
// back if the rename fails.
func File(dirs datadir.Config, name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("%q is not a plain file name", name)
	}
	root, err := os.OpenRoot(dirs.Dir)
	if err != nil {
		return fmt.Errorf("open data dir: %w", err)
	}
	defer root.Close()
	src := path.Join(datadir.Rejected, name)
	info, err := root.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s does not exist", src)
	}
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s): the watcher would reject it again; remove it instead", src, info.Mode().Type())
	}
	if n := linkCount(info); n > 1 {
		return fmt.Errorf("%s has %d hard links: the watcher would reject it again; copy it to a new file first", src, n)
	}
	reasonPath := src + datadir.ReasonSuffix
	reason, reasonErr := root.ReadFile(reasonPath)
	if reasonErr == nil {
		if err := root.Remove(reasonPath); err != nil {
			return fmt.Errorf("remove %s: %w", reasonPath, err)
		}
	}
	if err := datadir.RenameNoReplace(root, src, path.Join(datadir.Input, name)); err != nil {
		if reasonErr == nil {
			_ = root.WriteFile(reasonPath, reason, 0o644)
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; nothing was replaced", path.Join(datadir.Input, name))
		}
		return fmt.Errorf("move %s back to input: %w", src, err)
	}
	return datadir.SyncDir(dirs.Path(datadir.Input))
}
