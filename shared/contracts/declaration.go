// Package contracts reads the contract declarations: which files load into
// which table, how their header maps to the table's columns, and the rules
// a row must follow beyond the table's own types and constraints. Column
// types, lengths, precision, NOT NULL and defaults are never declared here:
// the loader reads them from PostgreSQL's catalog. The watcher, which has no
// database access, needs only what a declaration says.
package contracts

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Header policies.
const (
	// HeaderExact: the header is exactly the declared columns, in order.
	HeaderExact = "exact"
	// HeaderByName: columns in any order, mapped to the table by name.
	HeaderByName = "by_name"
)

// Unknown-column policies (by_name only).
const (
	UnknownReject = "reject"
	UnknownIgnore = "ignore"
)

// Declaration is one contract as declared in its file.
type Declaration struct {
	// Name is the file's base name without extension: orders.yaml is
	// contract "orders". It names the contract's subjects and consumer.
	Name string `yaml:"-"`
	// Table is the target table, optionally schema-qualified.
	Table string `yaml:"table"`
	// Files is a glob (path.Match) on the landed file's name. When several
	// contracts match a name, the pattern with the most literal characters
	// wins; a tie rejects the file as ambiguous.
	Files string `yaml:"files"`
	// Header is HeaderExact or HeaderByName.
	Header string `yaml:"header"`
	// UnknownColumns says what a by_name header column the table lacks does.
	UnknownColumns string `yaml:"unknown_columns"`
	// TimeZone is the zone of naive timestamptz values (an IANA name).
	TimeZone string `yaml:"time_zone"`
	// SequenceColumn, when set, is a bigint column the loader fills with the
	// stream sequence of the message that loaded the row (provenance).
	SequenceColumn string `yaml:"sequence_column"`
	// Key is the dedupe key when it is not the table's primary key.
	Key []string `yaml:"key"`
	// RejectSpaces rejects text values with leading or trailing spaces.
	RejectSpaces bool `yaml:"reject_spaces"`
	// Columns lists the header's columns (the whole header, in order, under
	// HeaderExact) and any rules they add.
	Columns []Column `yaml:"columns"`
}

// Column is a column of the header and the rules the contract adds to it.
type Column struct {
	Name        string   `yaml:"name"`
	OneOf       []string `yaml:"one_of"`
	NonNegative bool     `yaml:"non_negative"`
}

// UnmarshalYAML accepts a bare name for a column without rules.
func (c *Column) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		c.Name = n.Value
		return nil
	}
	type plain Column
	return n.Decode((*plain)(c))
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// validate checks what can be checked without the table.
func (d *Declaration) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !validName.MatchString(d.Name) {
		bad("name %q: want lower-case letters, digits and _, starting with a letter (it names NATS subjects)", d.Name)
	}
	if d.Table == "" {
		bad("table is not set")
	}
	if d.Files == "" {
		bad("files is not set (a glob on the landed file name, e.g. \"orders-*.csv\")")
	} else if _, err := path.Match(d.Files, ""); err != nil {
		bad("files %q is not a valid glob: %v", d.Files, err)
	}
	switch d.Header {
	case HeaderExact:
		if len(d.Columns) == 0 {
			bad("header is exact but no columns are listed")
		}
		if d.UnknownColumns != "" {
			bad("unknown_columns applies only to header: by_name")
		}
	case HeaderByName:
		switch d.UnknownColumns {
		case "":
			d.UnknownColumns = UnknownReject
		case UnknownReject, UnknownIgnore:
		default:
			bad("unknown_columns %q: want reject or ignore", d.UnknownColumns)
		}
	default:
		bad("header %q: want exact or by_name", d.Header)
	}
	if d.TimeZone != "" {
		if _, err := time.LoadLocation(d.TimeZone); err != nil {
			bad("time_zone %q: %v", d.TimeZone, err)
		}
	}
	var seen []string
	for _, c := range d.Columns {
		switch {
		case c.Name == "" || !utf8.ValidString(c.Name):
			bad("a column has no name")
		case slices.Contains(seen, c.Name):
			bad("column %q is listed twice", c.Name)
		case c.Name == d.SequenceColumn:
			bad("column %q is the sequence_column, which the loader fills; it cannot come from files", c.Name)
		}
		seen = append(seen, c.Name)
	}
	return errors.Join(errs...)
}

// Zone is the location of naive timestamptz values: UTC unless declared.
func (d *Declaration) Zone() *time.Location {
	if d.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		return time.UTC // validate refused it already
	}
	return loc
}

// Rules returns the declared rules of column name, if any.
func (d *Declaration) Rules(name string) (Column, bool) {
	i := slices.IndexFunc(d.Columns, func(c Column) bool { return c.Name == name })
	if i < 0 {
		return Column{}, false
	}
	return d.Columns[i], true
}

// HeaderNames are the declared columns' names in order.
func (d *Declaration) HeaderNames() []string {
	names := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		names[i] = c.Name
	}
	return names
}
