package faults

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/datadir"
)

// feeder moves the generator's landed files into the pipeline's input,
// after checking each is complete and adding it to the oracle. Now and then
// it also lands, as an upstream would: a copy of an earlier file under
// another name, a file with a few bad rows, a file with a bad header.
type feeder struct {
	stage, data datadir.Config
	rng         *rand.Rand
	o           *oracle

	mu          sync.Mutex
	rowsPerFile map[int]bool // sizes the generator incarnations write
	fed         []string     // good names, for copies
	n           int
}

func (f *feeder) allowRows(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rowsPerFile[n] = true
}

// feed moves every landed file; an incomplete one is an error: the
// generator must never leave a partial file in input, whenever it dies.
func (f *feeder) feed() error {
	entries, err := os.ReadDir(f.stage.Path(datadir.Input))
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		src := filepath.Join(f.stage.Path(datadir.Input), name)
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := f.complete(data); err != nil {
			return fmt.Errorf("partial or corrupt file %s in the generator's input: %w", name, err)
		}
		if err := f.o.add(name, data); err != nil {
			return err
		}
		if err := os.Rename(src, filepath.Join(f.data.Path(datadir.Input), name)); err != nil {
			return err
		}
		if err := f.upstream(name, data); err != nil {
			return err
		}
	}
	return nil
}

func (f *feeder) complete(data []byte) error {
	if !bytes.HasSuffix(data, []byte("\n")) {
		return errors.New("does not end with a line ending")
	}
	r := csv.NewReader(bytes.NewReader(data))
	header, err := r.Read()
	if err != nil || !contract.MatchesHeader(header) {
		return fmt.Errorf("bad header %q: %v", header, err)
	}
	rows := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if _, err := contract.Parse(rec); err != nil {
			return fmt.Errorf("row %d: %w", rows+1, err)
		}
		rows++
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.rowsPerFile[rows] {
		return fmt.Errorf("has %d rows; the generator writes files of %v rows", rows, f.rowsPerFile)
	}
	return nil
}

// upstream sometimes lands extra files after a generated one.
func (f *feeder) upstream(name string, data []byte) error {
	f.n++
	f.fed = append(f.fed, name)
	switch x := f.rng.IntN(100); {
	case x < 8: // the same content again, under another name
		old := f.fed[f.rng.IntN(len(f.fed))]
		b, err := os.ReadFile(filepath.Join(f.data.Path(datadir.Archive), old))
		if err != nil { // not archived yet: copy this one
			old, b = name, data
		}
		dup := fmt.Sprintf("dup-%d-%s", f.n, old)
		if err := f.o.add(dup, b); err != nil {
			return err
		}
		return f.land(dup, b)
	case x < 12: // a few bad rows among good ones
		mixed := fmt.Sprintf("mixed-%d.csv", f.n)
		b := mixedFile(f.n)
		if err := f.o.add(mixed, b); err != nil {
			return err
		}
		return f.land(mixed, b)
	case x < 14: // refused as a whole
		bad := fmt.Sprintf("bad-header-%d.csv", f.n)
		f.o.mu.Lock()
		f.o.bad = append(f.o.bad, bad)
		f.o.mu.Unlock()
		return f.land(bad, []byte("id,when,what\n"+fmt.Sprint(f.n)+",now,view\n"))
	}
	return nil
}

// land writes a file atomically into the pipeline's input.
func (f *feeder) land(name string, data []byte) error {
	tmp := filepath.Join(f.data.Path(datadir.Temp), name+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(f.data.Path(datadir.Input), name))
}

// mixedFile has 20 valid rows and 2 the contract refuses.
func mixedFile(n int) []byte {
	var b strings.Builder
	b.WriteString(contract.HeaderLine + "\n")
	for i := range 20 {
		fmt.Fprintf(&b, "mixed-%d-%d,2026-11-26 10:00:%02d.%06d,purchase,%d,%d.%02d,%d,s-%d\n", n, i, i, n%1000000, i+1, i+1, n%100, n, n)
		if i == 7 {
			fmt.Fprintf(&b, "mixed-%d-bad-price,2026-11-26 10:00:00,purchase,1,-1.00,1,s\n", n)
		}
		if i == 13 {
			fmt.Fprintf(&b, "mixed-%d-bad-type,2026-11-26 10:00:00,refund,1,1.00,1,s\n", n)
		}
	}
	return []byte(b.String())
}
