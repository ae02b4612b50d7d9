package codec

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// The differential tests feed the same strings to a Field and to
// PostgreSQL, as COPY would store them into a column of the type: the
// type's input function with the column's typmod. Where both accept, the
// value our binary encoding stores (loaded with a binary COPY) must be
// byte for byte the value PostgreSQL parsed, compared through the type's
// send function (float bits, numeric digits with their scale, jsonb's
// canonical text, text bytes, timestamp microseconds). Where only
// PostgreSQL accepts, a stricter rule of ours, named in the case, must
// explain it. Anything else fails.

// stricter is a rule by which the codecs refuse values PostgreSQL would
// store. applies says, from the input alone, whether the rule covers it.
type stricter struct {
	name    string
	applies func(s string) bool
}

// Rules every codec shares; docs/types.md lists them all.
var (
	strictEmpty = stricter{"empty-is-null", func(s string) bool { return s == "" }}
	// Non-text types, and text columns declared RejectSpaces, refuse the
	// white space PostgreSQL trims around a value.
	strictSpaces = stricter{"no-surrounding-space", func(s string) bool { return strings.TrimSpace(s) != s }}
)

// diffCase is one column type tried against PostgreSQL.
type diffCase struct {
	label    string // names the case in reports; sqlType when empty
	sqlType  string // as in CREATE TABLE: "numeric(10,2)"
	rules    Rules
	timeZone string // the session's TimeZone; "" is UTC
	inputs   []string
	stricter []stricter
}

// diffReport counts a case's outcomes.
type diffReport struct {
	inputs, accepted, rejected int
	byRule                     map[string]int
	unexplained                []string
}

// diffDB is a connection to a fresh database with parse_all, which stores
// PostgreSQL's own parse of each input, or its error, into a table.
func diffDB(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, parseAllSQL); err != nil {
		t.Fatalf("create parse_all: %v", err)
	}
	return conn
}

// parseAllSQL calls the type's input function as COPY does:
// (cstring, type OID, typmod) for types that take a typmod.
const parseAllSQL = `
CREATE FUNCTION parse_all(tbl regclass, typ regtype, typmod int, vals text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	call text;
BEGIN
	SELECT CASE WHEN p.pronargs = 1 THEN format('%s($2::cstring)', t.typinput)
		ELSE format('%s($2::cstring, %s, $3)', t.typinput, t.oid) END
	INTO call FROM pg_type t JOIN pg_proc p ON p.oid = t.typinput WHERE t.oid = typ;
	FOR i IN 1..coalesce(array_length(vals, 1), 0) LOOP
		BEGIN
			EXECUTE format('INSERT INTO %s (i, v) VALUES ($1, %s)', tbl, call) USING i - 1, vals[i], typmod;
		EXCEPTION WHEN OTHERS THEN
			EXECUTE format('INSERT INTO %s (i, err) VALUES ($1, $2)', tbl) USING i - 1, SQLERRM;
		END;
	END LOOP;
END $$`

// runDiff tries every input of c and fails t on any disagreement no rule
// explains.
func runDiff(t *testing.T, conn *pgx.Conn, n int, c diffCase) diffReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ours, theirs := fmt.Sprintf("ours_%d", n), fmt.Sprintf("theirs_%d", n)
	label := c.label
	if label == "" {
		label = c.sqlType
	}
	tz := c.timeZone
	if tz == "" {
		tz = "UTC"
	}
	for _, sql := range []string{
		"SET TimeZone = '" + tz + "'",
		fmt.Sprintf("CREATE TABLE %s (i int4 NOT NULL, v %s NOT NULL)", ours, c.sqlType),
		fmt.Sprintf("CREATE TABLE %s (i int4 NOT NULL, v %s, err text)", theirs, c.sqlType),
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var col Column
	var typ, send string
	err := conn.QueryRow(ctx, `SELECT a.attname, t.typname, a.atttypmod, a.attnotnull, t.oid::regtype::text, t.typsend::text
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = $1::regclass AND a.attname = 'v'`, ours).
		Scan(&col.Name, &col.Type, &col.Typmod, &col.NotNull, &typ, &send)
	if err != nil {
		t.Fatalf("read the catalog: %v", err)
	}
	field, err := Plan(col, c.rules)
	if err != nil {
		t.Fatalf("Plan(%+v): %v", col, err)
	}

	// Ours: encode, then load what was accepted with a binary COPY.
	ourErr := make([]error, len(c.inputs))
	stream := append([]byte(nil), copySignature...)
	for i, s := range c.inputs {
		row := binary.BigEndian.AppendUint16(nil, 2)
		row = binary.BigEndian.AppendUint32(row, 4)
		row = binary.BigEndian.AppendUint32(row, uint32(i))
		if row, ourErr[i] = field.Append(row, s); ourErr[i] == nil {
			stream = append(stream, row...)
		}
	}
	stream = binary.BigEndian.AppendUint16(stream, 0xffff)
	copySQL := fmt.Sprintf("COPY %s (i, v) FROM STDIN (FORMAT binary)", ours)
	if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(stream), copySQL); err != nil {
		t.Fatalf("%s: PostgreSQL refused our binary encoding: %v", label, err)
	}

	// Theirs: text PostgreSQL can receive goes through parse_all; bytes it
	// cannot (invalid UTF-8, NUL) go through a CSV COPY each, for its own
	// verdict.
	var texts []string
	var textAt []int
	for i, s := range c.inputs {
		if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
			texts, textAt = append(texts, s), append(textAt, i)
			continue
		}
		csv := fmt.Sprintf("%d,\"%s\"\n", i, strings.ReplaceAll(s, `"`, `""`))
		_, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(csv), fmt.Sprintf("COPY %s (i, v) FROM STDIN (FORMAT csv)", theirs))
		if err == nil {
			t.Errorf("%s: PostgreSQL stored %q, which is not UTF-8 text", label, s)
		}
	}
	if _, err := conn.Exec(ctx, "SELECT parse_all($1::regclass, $2::regtype, $3, $4)", theirs, typ, col.Typmod, texts); err != nil {
		t.Fatalf("parse_all: %v", err)
	}
	pgValue, pgText, pgErr := map[int][]byte{}, map[int]string{}, map[int]string{}
	rows, _ := conn.Query(ctx, fmt.Sprintf("SELECT t.i - 0, %s(t.v), t.v::text, coalesce(t.err, '') FROM %s t", send, theirs))
	for rows.Next() {
		var i int
		var v []byte
		var text *string
		var e string
		if err := rows.Scan(&i, &v, &text, &e); err != nil {
			t.Fatal(err)
		}
		if e != "" {
			pgErr[textAt[i]] = e
			continue
		}
		pgValue[textAt[i]], pgText[textAt[i]] = v, *text
	}
	if rows.Err() != nil {
		t.Fatalf("read theirs: %v", rows.Err())
	}
	for i := range c.inputs { // the CSV COPYs above all failed
		if _, ok := pgValue[i]; !ok && pgErr[i] == "" {
			pgErr[i] = "not UTF-8 text"
		}
	}
	ourValue, ourText := map[int][]byte{}, map[int]string{}
	rows, _ = conn.Query(ctx, fmt.Sprintf("SELECT i, %s(v), v::text FROM %s", send, ours))
	for rows.Next() {
		var i int
		var v []byte
		var text string
		if err := rows.Scan(&i, &v, &text); err != nil {
			t.Fatal(err)
		}
		ourValue[i], ourText[i] = v, text
	}
	if rows.Err() != nil {
		t.Fatalf("read ours: %v", rows.Err())
	}

	r := diffReport{inputs: len(c.inputs), byRule: map[string]int{}}
	rules := append([]stricter{strictEmpty}, c.stricter...)
	for i, s := range c.inputs {
		theirsOK := pgErr[i] == ""
		switch {
		case ourErr[i] != nil && !theirsOK:
			r.rejected++
		case ourErr[i] == nil && theirsOK && bytes.Equal(ourValue[i], pgValue[i]):
			r.accepted++
		case ourErr[i] == nil && theirsOK:
			r.unexplained = append(r.unexplained, fmt.Sprintf("%q: we store %s, PostgreSQL %s", s, ourText[i], pgText[i]))
		case ourErr[i] == nil:
			r.unexplained = append(r.unexplained, fmt.Sprintf("%q: we store %s, PostgreSQL refuses it: %s", s, ourText[i], pgErr[i]))
		default:
			if k := slices.IndexFunc(rules, func(st stricter) bool { return st.applies(s) }); k >= 0 {
				r.byRule[rules[k].name]++
				continue
			}
			r.unexplained = append(r.unexplained, fmt.Sprintf("%q: we refuse it (%v), PostgreSQL stores %s", s, ourErr[i], pgText[i]))
		}
	}
	for _, st := range c.stricter {
		if r.byRule[st.name] == 0 {
			t.Errorf("%s: rule %s explained no input: a stale rule, or its edge cases are missing", label, st.name)
		}
	}
	t.Logf("%s: %s", label, r)
	for k, u := range r.unexplained {
		if k == 20 {
			t.Errorf("%s: ... and %d more", label, len(r.unexplained)-k)
			break
		}
		t.Errorf("%s: unexplained disagreement: %s", label, u)
	}
	return r
}

func (r diffReport) String() string {
	var rules []string
	for _, name := range slices.Sorted(maps.Keys(r.byRule)) {
		rules = append(rules, fmt.Sprintf("%s %d", name, r.byRule[name]))
	}
	return fmt.Sprintf("%d inputs, %d agree (%d stored identically, %d refused by both), %d refused by stricter rules (%s), %d unexplained",
		r.inputs, r.accepted+r.rejected, r.accepted, r.rejected, r.stricterCount(), strings.Join(rules, ", "), len(r.unexplained))
}

func (r diffReport) stricterCount() int {
	n := 0
	for _, k := range r.byRule {
		n += k
	}
	return n
}

// runDiffs runs the cases of one codec file and logs their summary line.
func runDiffs(t *testing.T, name string, cases []diffCase) {
	t.Helper()
	conn := diffDB(t)
	var total diffReport
	total.byRule = map[string]int{}
	for n, c := range cases {
		r := runDiff(t, conn, n, c)
		total.inputs += r.inputs
		total.accepted += r.accepted
		total.rejected += r.rejected
		total.unexplained = append(total.unexplained, r.unexplained...)
		for k, v := range r.byRule {
			total.byRule[k] += v
		}
	}
	t.Logf("differential summary %s: %s", name, total)
}

// copySignature starts a binary COPY stream: signature, flags, no header
// extension.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
