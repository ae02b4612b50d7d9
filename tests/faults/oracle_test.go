package faults

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"sort"
	"sync"

	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/ledger"
)

// oracle is what the files fed to the pipeline say PostgreSQL must hold,
// computed from each file before the pipeline can touch it. It keeps a
// digest per file content, not every event id: its memory grows with the
// files, not the rows (an hour at 10,000 events/s is 36M ids, gigabytes as
// a set, but about 7,200 files), and verify compares the digests with the
// same ones computed in PostgreSQL, so a row lost, loaded twice or changed
// is still found, and named by its file.
type oracle struct {
	mu       sync.Mutex
	rows     int               // valid rows of distinct contents
	rejects  int               // invalid rows of distinct contents
	contents map[string]digest // content id -> its valid rows
	good     map[string]string // file name fed -> content id: must be archived and loaded
	bad      []string          // file names fed that must be rejected as a whole
	dups     int               // files fed with a content fed before, under another name
}

func newOracle() *oracle {
	return &oracle{contents: map[string]digest{}, good: map[string]string{}}
}

// add records a good file; a content seen before adds no rows.
//
// Event ids must be unique across contents, as the generator's UUIDv7 are;
// the oracle checks them within a file only. An id repeated in another
// file would not go unnoticed: the pipeline rejects the second row as
// already loaded, and verify reports the reject and the file it is
// missing from.
func (o *oracle) add(name string, data []byte) error { return o.addLanded(name, data, data) }

// addLanded records a good file landed as landed (compressed, say) whose
// CSV content is data: its identity is the landed bytes', its rows data's.
func (o *oracle) addLanded(name string, landed, data []byte) error {
	id, err := ledger.FileID(bytes.NewReader(landed))
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.good[name] = id
	if _, seen := o.contents[id]; seen {
		o.dups++
		return nil
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var d digest
	seen := make(map[string]bool, len(recs))
	for _, rec := range recs[1:] {
		ev, err := contract.Parse(rec)
		if err != nil {
			o.rejects++
			continue
		}
		if seen[ev.ID] {
			return fmt.Errorf("%s: event id %s repeats in the file: the oracle needs unique ids", name, ev.ID)
		}
		seen[ev.ID] = true
		d.add(ev.ID, int64(ev.Price))
	}
	o.rows += int(d.rows)
	o.contents[id] = d
	return nil
}

func (o *oracle) Rows() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.rows
}

// namesOf returns the names a content was fed under, for messages.
func (o *oracle) namesOf(content string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for name, id := range o.good {
		if id == content {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
