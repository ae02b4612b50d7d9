// Package codec turns text values (CSV fields, and the text of NDJSON and
// Parquet values) into PostgreSQL binary COPY fields, one codec per column
// type. A contract declares its columns as data; the
// loader asks Plan once per column for a Field and then calls
// Field.Append for every value, with no type switch or reflection in the
// row loop (the shape of pgx's pgtype encode plans).
//
// Each codec parses its value exactly: what loads is what was written, or
// the value is rejected with a reason a person can act on. Where PostgreSQL
// would round, truncate, trim or guess, the codecs reject instead; those
// stricter rules are listed in docs/types.md and pinned by the differential
// tests against a real server.
package codec

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Column is a table column as PostgreSQL's catalog describes it.
type Column struct {
	Name    string // pg_attribute.attname
	Type    string // pg_type.typname: "int4", "numeric", "timestamptz", ...
	Typmod  int32  // pg_attribute.atttypmod; -1 when none
	NotNull bool   // pg_attribute.attnotnull
}

// Rules are what a contract declaration adds to a column beyond its type.
type Rules struct {
	Zone         *time.Location // zone of naive timestamptz values; nil means UTC
	RejectSpaces bool           // text types: reject leading/trailing spaces (other types always do)
	OneOf        []string       // text types: the value as written must be one of these
	NonNegative  bool           // int*, numeric, float*: reject values below zero
}

// Field encodes the values of one column.
type Field interface {
	// Append appends one binary COPY field for the CSV value s: its int32
	// length word, then the value. An empty s is NULL (length -1) when the
	// column is nullable, else "<col> is empty". The error is an *Error; on
	// error buf is returned unchanged.
	Append(buf []byte, s string) ([]byte, error)
}

// Error says why a value breaks its column's type or rules.
type Error struct {
	Column string // the column's name
	Reason string // the full sentence, starting with the column's name
}

// Error returns the reason, which already names the column.
func (e *Error) Error() string { return e.Reason }

// rule is one of the Rules, as a bit, to say which rules a type takes.
type rule uint8

const (
	ruleZone rule = 1 << iota
	ruleOneOf
	ruleNonNegative
)

// codecType is one supported PostgreSQL type.
type codecType struct {
	typname string // pg_type.typname
	sql     string // the SQL name, for messages and docs
	rules   rule   // the Rules it takes besides RejectSpaces, which every type takes
	json    JSON   // the JSON values it takes, from NDJSON or Parquet
	plan    func(c column, col Column, r Rules) (Field, error)
}

// JSON is the kinds of JSON value a column type takes. A value's text is
// what the column's Field parses: a string decoded, a number or a
// boolean as written; JSON null is NULL.
type JSON uint8

// The kinds of JSON value, as a type takes them.
const (
	JSONString JSON = 1 << iota
	JSONNumber
	JSONBool
	// JSONDocument takes any value as its JSON text, objects and arrays
	// included (jsonb): the only kind that does.
	JSONDocument
)

// Accepts returns the JSON values a column of type typname takes and the
// type's SQL name, for reasons; nothing for a type not supported.
func Accepts(typname string) (JSON, string) {
	for _, t := range registry {
		if t.typname == typname {
			return t.json, t.sql
		}
	}
	return 0, typname
}

// EmptyAppender is a Field that can load an empty string: JSON writes one
// as "", which CSV cannot (an empty CSV field is NULL).
type EmptyAppender interface {
	AppendEmpty(buf []byte) ([]byte, error)
}

// registry lists the supported types, in the order Supported reports them.
// Adding a type is one line here and one file.
var registry = []codecType{
	{"int2", "smallint", ruleNonNegative, JSONNumber, planInt(2, "SMALLINT")},
	{"int4", "integer", ruleNonNegative, JSONNumber, planInt(4, "INTEGER")},
	{"int8", "bigint", ruleNonNegative, JSONNumber, planInt(8, "BIGINT")},
	{"numeric", "numeric", ruleNonNegative, JSONNumber, planNumeric},
	{"float4", "real", ruleNonNegative, JSONNumber, planFloat(32, "REAL")},
	{"float8", "double precision", ruleNonNegative, JSONNumber, planFloat(64, "DOUBLE PRECISION")},
	{"bool", "boolean", 0, JSONBool, planBool},
	{"text", "text", ruleOneOf, JSONString, planText(false)},
	{"varchar", "varchar", ruleOneOf, JSONString, planText(false)},
	{"bpchar", "char", ruleOneOf, JSONString, planText(true)},
	{"date", "date", 0, JSONString, planDate},
	{"timestamp", "timestamp", 0, JSONString, planTimestamp(false)},
	{"timestamptz", "timestamptz", ruleZone, JSONString, planTimestamp(true)},
	{"uuid", "uuid", 0, JSONString, planUUID},
	{"jsonb", "jsonb", 0, JSONDocument, planJSONB},
}

// Supported returns the SQL names of the supported types.
func Supported() []string {
	names := make([]string, len(registry))
	for i, t := range registry {
		names[i] = t.sql
	}
	return names
}

// Plan chooses the Field of a column, once. An unsupported type, a typmod
// the codec cannot honour exactly, or a rule that means nothing for the
// type is an error naming the column and its type.
func Plan(col Column, rules Rules) (Field, error) {
	for _, t := range registry {
		if t.typname != col.Type {
			continue
		}
		if extra := rules.used() &^ t.rules; extra != 0 {
			return nil, fmt.Errorf("column %q has type %s, to which %s does not apply", col.Name, t.sql, extra)
		}
		return t.plan(column{name: col.Name, notNull: col.NotNull}, col, rules)
	}
	return nil, fmt.Errorf("column %q has type %s, which contracts do not support (supported: %s)",
		col.Name, col.Type, strings.Join(Supported(), ", "))
}

func (r Rules) used() rule {
	var u rule
	if r.Zone != nil {
		u |= ruleZone
	}
	if len(r.OneOf) > 0 {
		u |= ruleOneOf
	}
	if r.NonNegative {
		u |= ruleNonNegative
	}
	return u
}

// String names the rules in r as a contract declares them.
func (r rule) String() string {
	var names []string
	for _, n := range []struct {
		bit  rule
		name string
	}{{ruleZone, "Zone"}, {ruleOneOf, "OneOf"}, {ruleNonNegative, "NonNegative"}} {
		if r&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, " and ")
}

// column is what every Field knows of its column: the name its reasons
// start with and whether an empty value is NULL.
type column struct {
	name    string
	notNull bool
}

// empty is the field of an empty value: NULL, or a reject in a NOT NULL
// column. CSV cannot tell an empty string from a missing value, so an
// empty string is never loaded.
func (c column) empty(buf []byte) ([]byte, error) {
	if c.notNull {
		return buf, c.errorf("is empty")
	}
	return binary.BigEndian.AppendUint32(buf, 0xffffffff), nil
}

func (c column) errorf(format string, args ...any) error {
	return &Error{Column: c.name, Reason: c.name + " " + fmt.Sprintf(format, args...)}
}

// badText is the reason s cannot be stored as text at all (the database
// is UTF8, which holds no NUL), or with spaces set, why it may not be
// stored: leading or trailing white space. Non-text codecs call it only
// after their own syntax refused s, so that a stray space or byte gets
// the more precise reason, as the original contract did.
func (c column) badText(s string, spaces bool) error {
	if !utf8.ValidString(s) {
		return c.errorf("%s is not valid UTF-8", quote(s))
	}
	if strings.IndexByte(s, 0) >= 0 {
		return c.errorf("%s contains a NUL byte", quote(s))
	}
	if spaces && strings.TrimSpace(s) != s {
		return c.errorf("%s has leading or trailing spaces", quote(s))
	}
	return nil
}

// invalid rejects s, which the codec's syntax refused: badText's reason
// when there is one, else "<col> <s> <what>".
func (c column) invalid(buf []byte, s, what string) ([]byte, error) {
	if err := c.badText(s, true); err != nil {
		return buf, err
	}
	return buf, c.errorf("%s %s", quote(s), what)
}

// quote renders a value for a reason: escaped (no raw control characters
// reach a log line or a terminal) and bounded in length.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// digits reads a run of decimal digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func allZeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}
