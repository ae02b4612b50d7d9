// Package schema resolves a contract declaration against the table it
// names: the columns, types, NOT NULL and defaults PostgreSQL's catalog
// holds, each column's codec, the dedupe key and the header mapping. The
// loader loads through what it returns; ctl shows it. A declaration that
// does not fit its table is refused here, with a message naming what does
// not fit, before a row is read.
package schema

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/codec"
	"github.com/tributary-dev/tributary/shared/contracts"
)

// Table is a contract's target table, resolved.
type Table struct {
	Contract string
	Name     pgx.Identifier
	// Columns are the table's columns, in table order.
	Columns []Column
	// Key is the dedupe key: the primary key, or the declared unique key.
	// Empty when the table has neither: every row loads.
	Key []string
	// Sequence is the column the loader fills with the stream sequence.
	Sequence string

	decl  *contracts.Declaration
	exact *Mapping // the mapping of the declared header, under HeaderExact
}

// Column is one column of the table.
type Column struct {
	codec.Column
	HasDefault bool
	Generated  bool // a generated or identity-always column: never loaded
}

// Mapping is how one header's fields load: a codec per field (nil for a
// field ignored), the COPY column list and where the key's fields are.
type Mapping struct {
	Header  string         // the header line, for messages
	Fields  []codec.Field  // by field position; nil skips the field
	Copy    []string       // COPY columns: the mapped fields in order, then Sequence
	KeyAt   []int          // positions of the key's fields, in Key's order
	Names   []string       // the column of each field ("" when ignored)
	Keys    []string       // the header's names as written, ignored ones included
	Catalog []codec.Column // the catalog's column of each field (zero when ignored)
	Width   int            // fields a row must have
	HasSeq  bool
	Columns int // fields in a COPY tuple (mapped fields and the sequence)
}

// Exact returns the mapping of the declared header, or nil when the
// contract maps headers by name.
func (t *Table) Exact() *Mapping { return t.exact }

// QualifiedName is the table's name, quoted for SQL.
func (t *Table) QualifiedName() string { return t.Name.Sanitize() }

// column finds a column by name.
func (t *Table) column(name string) (Column, bool) {
	i := slices.IndexFunc(t.Columns, func(c Column) bool { return c.Name == name })
	if i < 0 {
		return Column{}, false
	}
	return t.Columns[i], true
}

// Map maps a header to the table. The error, for a person, says which
// column does not fit and why.
func (t *Table) Map(header []string) (*Mapping, error) {
	d := t.decl
	m := &Mapping{Header: strings.Join(header, ","), Width: len(header), Fields: make([]codec.Field, len(header)), Names: make([]string, len(header)),
		Keys: slices.Clone(header), Catalog: make([]codec.Column, len(header))}
	var errs []string
	for i, name := range header {
		col, ok := t.column(name)
		switch {
		case !ok && d.Header == contracts.HeaderByName && d.UnknownColumns == contracts.UnknownIgnore:
			continue
		case !ok:
			errs = append(errs, fmt.Sprintf("column %q is not in table %s", name, t.QualifiedName()))
			continue
		case col.Generated:
			errs = append(errs, fmt.Sprintf("column %q of %s is generated; files cannot fill it", name, t.QualifiedName()))
			continue
		case name == t.Sequence:
			errs = append(errs, fmt.Sprintf("column %q is the sequence_column, which the loader fills", name))
			continue
		}
		rules, _ := d.Rules(name)
		var zone *time.Location // only timestamptz reads a zone
		if col.Type == "timestamptz" {
			zone = d.Zone()
		}
		f, err := codec.Plan(col.Column, codec.Rules{Zone: zone, RejectSpaces: d.RejectSpaces, OneOf: rules.OneOf, NonNegative: rules.NonNegative})
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		m.Fields[i], m.Names[i], m.Catalog[i] = f, name, col.Column
		m.Copy = append(m.Copy, name)
	}
	for _, col := range t.Columns {
		if col.NotNull && !col.HasDefault && !col.Generated && col.Name != t.Sequence && !slices.Contains(m.Names, col.Name) {
			errs = append(errs, fmt.Sprintf("column %q of %s is NOT NULL without a default, and the header does not have it", col.Name, t.QualifiedName()))
		}
	}
	for _, k := range t.Key {
		i := slices.Index(m.Names, k)
		if i < 0 {
			errs = append(errs, fmt.Sprintf("the header does not have key column %q", k))
			continue
		}
		m.KeyAt = append(m.KeyAt, i)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("contract %s: %s", t.Contract, strings.Join(errs, "; "))
	}
	if t.Sequence != "" {
		m.Copy = append(m.Copy, t.Sequence)
		m.HasSeq = true
	}
	m.Columns = len(m.Copy)
	return m, nil
}
