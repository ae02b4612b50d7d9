package harness

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"

	"github.com/tributary-dev/tributary/shared/contract"
)

// Oracle is what a directory of landed files says user_activity must hold.
type Oracle struct {
	Rows  int
	IDs   map[string]bool
	Cents int64
}

// ReadOracle reads every file of dir (e.g. the archive) with encoding/csv
// and the data contract, independently of the pipeline's own parsing.
func (e *Env) ReadOracle(dir string) Oracle {
	e.T.Helper()
	o := Oracle{IDs: map[string]bool{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		e.T.Fatal(err)
	}
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			e.T.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))).ReadAll()
		if err != nil {
			e.T.Fatalf("%s: %v", en.Name(), err)
		}
		for _, rec := range recs[1:] {
			ev, err := contract.Parse(rec)
			if err != nil {
				continue // a reject
			}
			o.Rows++
			o.IDs[ev.ID] = true
			o.Cents += int64(ev.Price)
		}
	}
	return o
}

// Loaded is what user_activity holds: rows, distinct event ids, and the
// price sum in cents.
func (e *Env) Loaded() (rows, distinct int, cents int64) {
	e.T.Helper()
	err := e.Pool.QueryRow(context.Background(),
		"SELECT count(*), count(DISTINCT event_id), coalesce((sum(price) * 100)::bigint, 0) FROM user_activity").Scan(&rows, &distinct, &cents)
	if err != nil {
		e.T.Fatal(err)
	}
	return rows, distinct, cents
}
