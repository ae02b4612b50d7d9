package faults

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/tributary-dev/tributary/shared/contract"
)

// contentGen writes the files of a sequence. Rows shared with earlier
// files are copied verbatim (same event id, same price), so whichever copy
// loads first, user_activity ends up the same.
type contentGen struct {
	rng  *rand.Rand
	n    int      // files written
	pool []string // valid rows written so far, for sharing
}

// file returns a new content of rows rows: bad of them refused by the
// contract, shared of them copied from earlier files.
func (g *contentGen) file(rows, bad, shared int) []byte {
	g.n++
	shared = min(shared, len(g.pool), rows-1) // at least one fresh row: a new content
	var fresh []string
	for i := range rows - shared {
		cents := g.rng.IntN(100_000)
		kind := "view"
		if g.rng.IntN(10) < 3 {
			kind = "purchase"
		}
		fresh = append(fresh, fmt.Sprintf("e%d-%d,2026-11-26 %02d:%02d:%02d.%06d,%s,%d,%d.%02d,%d,s-%d",
			g.n, i, i/3600%24, i/60%60, i%60, g.rng.IntN(1_000_000), kind, 1+g.rng.IntN(5000), cents/100, cents%100,
			1+g.rng.IntN(9000), g.rng.IntN(500)))
	}
	lines := append([]string(nil), fresh...)
	for _, k := range g.rng.Perm(len(g.pool))[:shared] {
		lines = insertAt(lines, g.rng.IntN(len(lines)+1), g.pool[k])
	}
	g.pool = append(g.pool, fresh...)
	for i := range bad {
		row := fmt.Sprintf("b%d-%d,2026-11-26 10:00:00,purchase,1,-1.00,1,s", g.n, i) // negative price
		if i%2 == 1 {
			row = fmt.Sprintf("b%d-%d,2026-11-26 10:00:00,refund,1,1.00,1,s", g.n, i) // unknown event type
		}
		lines = insertAt(lines, g.rng.IntN(len(lines)+1), row)
	}
	return []byte(contract.HeaderLine + "\n" + strings.Join(lines, "\n") + "\n")
}

// badFile is refused as a whole: its header is not the contract's.
func (g *contentGen) badFile() []byte {
	g.n++
	return []byte(fmt.Sprintf("id,when,what\n%d,now,view\n", g.n))
}

func insertAt(s []string, i int, v string) []string {
	s = append(s, "")
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

// landing is one file landed into input.
type landing struct {
	name    string
	content string // hex SHA-256
	op      int    // index of the op that landed it
}

// propContent is what one distinct content holds.
type propContent struct {
	valid, invalid int
}

// propOracle is what the landed files say PostgreSQL and the data
// directory must hold, computed from the bytes before the pipeline sees
// them.
type propOracle struct {
	prices      map[string]int64 // event id -> price in cents (the same in every copy)
	occurrences int              // valid rows summed over distinct contents
	invalid     int              // contract rejects summed over distinct contents
	contents    map[string]propContent
	good, bad   []landing
	data        map[string][]byte // content id -> bytes, for copies
}

func newPropOracle() *propOracle {
	return &propOracle{prices: map[string]int64{}, contents: map[string]propContent{}, data: map[string][]byte{}}
}

func contentID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// addGood records a file the contract accepts as a whole; a content seen
// before (a byte-identical copy) adds nothing to load.
func (o *propOracle) addGood(l landing, data []byte) error {
	l.content = contentID(data)
	o.good = append(o.good, l)
	if _, seen := o.contents[l.content]; seen {
		return nil
	}
	o.data[l.content] = data
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", l.name, err)
	}
	var c propContent
	for _, rec := range recs[1:] {
		ev, err := contract.Parse(rec)
		if err != nil {
			c.invalid++
			continue
		}
		c.valid++
		cents := int64(ev.Price)
		if old, ok := o.prices[ev.ID]; ok && old != cents {
			return fmt.Errorf("%s: event %s with price %d, an earlier file had %d: shared rows must be identical", l.name, ev.ID, cents, old)
		}
		o.prices[ev.ID] = cents
	}
	o.occurrences += c.valid
	o.invalid += c.invalid
	o.contents[l.content] = c
	return nil
}

// addBad records a file that must be rejected as a whole.
func (o *propOracle) addBad(l landing, data []byte) {
	l.content = contentID(data)
	o.bad = append(o.bad, l)
}

// rows is how many rows user_activity must hold: each event id once.
func (o *propOracle) rows() int { return len(o.prices) }

func (o *propOracle) cents() int64 {
	var sum int64
	for _, c := range o.prices {
		sum += c
	}
	return sum
}

// duplicates is how many "already loaded" rejects the shared rows must
// produce: every copy of an event id but the first loaded.
func (o *propOracle) duplicates() int { return o.occurrences - len(o.prices) }
