package reconcile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// listRejected lists rejected/ and looks each file up in rejected_files,
// under its name or, when the watcher had to number it (NAME.1.csv), under
// the name it landed with.
func listRejected(ctx context.Context, src Sources) ([]Rejected, error) {
	dir := src.Dirs.Path(datadir.Rejected)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list rejected: %w", err)
	}
	var (
		out   []Rejected
		names []string
	)
	for _, e := range entries {
		if e.IsDir() || strings.HasSuffix(e.Name(), datadir.ReasonSuffix) {
			continue
		}
		rj := Rejected{Name: e.Name()}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()+datadir.ReasonSuffix))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read rejection reason: %w", err)
		}
		rj.Reason = strings.TrimSpace(string(b))
		out = append(out, rj)
		names = append(names, rj.Name, landedName(rj.Name))
	}
	if len(out) == 0 {
		return nil, nil
	}
	rows, err := src.DB.Query(ctx, `SELECT DISTINCT ON (file_name) file_name, reason FROM rejected_files WHERE file_name = ANY($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("read rejected_files: %w", err)
	}
	recorded := map[string]string{}
	var name, reason string
	if _, err := pgx.ForEachRow(rows, []any{&name, &reason}, func() error {
		recorded[name] = reason
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read rejected_files: %w", err)
	}
	for i := range out {
		rj := &out[i]
		reason, ok := recorded[rj.Name]
		if !ok {
			reason, ok = recorded[landedName(rj.Name)]
		}
		rj.Recorded = ok
		if rj.Reason == "" {
			rj.Reason = reason
		}
	}
	return out, nil
}

// markPendingRejections notes rejected files whose notice is still in the
// stream: the loader has yet to record them.
func markPendingRejections(rejected []Rejected, waiting []Held) {
	pending := map[string]bool{}
	for _, m := range waiting {
		if strings.HasSuffix(m.Subject, ".rejected") {
			pending[ingest.DecodeName(m.Header.Get(ingest.HeaderFileName))] = true
		}
	}
	for i := range rejected {
		rejected[i].Pending = pending[rejected[i].Name] || pending[landedName(rejected[i].Name)]
	}
}

// landedName undoes the watcher's numbering of a taken name: NAME.3.csv
// was NAME.csv.
func landedName(name string) string {
	ext := path.Ext(name)
	base := strings.TrimSuffix(name, ext)
	i := strings.LastIndexByte(base, '.')
	if i < 0 || i == len(base)-1 || strings.Trim(base[i+1:], "0123456789") != "" {
		return name
	}
	return base[:i] + ext
}
