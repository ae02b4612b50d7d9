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

// parseAllSQL calls the type's input function as COPY does, with
// (cstring, type OID, typmod) for types that take a typmod, and stores
// each input's value, or its error, under the input's index.
const parseAllSQL = `
CREATE FUNCTION parse_all(tbl regclass, typ regtype, typmod int, idx int[], vals text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	call text;
BEGIN
	SELECT CASE WHEN p.pronargs = 1 THEN format('%s($2::cstring)', t.typinput)
		ELSE format('%s($2::cstring, %s, $3)', t.typinput, t.oid) END
	INTO call FROM pg_type t JOIN pg_proc p ON p.oid = t.typinput WHERE t.oid = typ;
	FOR k IN 1..coalesce(array_length(vals, 1), 0) LOOP
		BEGIN
			EXECUTE format('INSERT INTO %s (i, v) VALUES ($1, %s)', tbl, call) USING idx[k], vals[k], typmod;
		EXCEPTION WHEN OTHERS THEN
			EXECUTE format('INSERT INTO %s (i, err) VALUES ($1, $2)', tbl) USING idx[k], SQLERRM;
		END;
	END LOOP;
END $$`

// stored is what one side made of an input: the value's send bytes and
// text, or why it was refused.
type stored struct {
	value []byte
	text  string
	err   string
}

// runDiff tries every input of c and fails t on any disagreement no rule
// explains.
func runDiff(t *testing.T, conn *pgx.Conn, n int, c diffCase) diffReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if c.label == "" {
		c.label = c.sqlType
	}
	if c.timeZone == "" {
		c.timeZone = "UTC"
	}
	ours, theirs := fmt.Sprintf("ours_%d", n), fmt.Sprintf("theirs_%d", n)
	for _, sql := range []string{
		"SET TimeZone = '" + c.timeZone + "'",
		fmt.Sprintf("CREATE TABLE %s (i int4 NOT NULL, v %s NOT NULL)", ours, c.sqlType),
		fmt.Sprintf("CREATE TABLE %s (i int4 NOT NULL, v %s, err text)", theirs, c.sqlType),
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// The column as the lead's catalog resolution will see it.
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
	ourErr := loadOurs(ctx, t, conn, ours, field, c)
	parseTheirs(ctx, t, conn, theirs, typ, col.Typmod, c)
	query := "SELECT i, %[1]s(v), v::text, coalesce(%[3]s, '') FROM %[2]s"
	return classify(t, c, ourErr, readStored(ctx, t, conn, fmt.Sprintf(query, send, ours, "NULL")),
		readStored(ctx, t, conn, fmt.Sprintf(query, send, theirs, "err")))
}

// loadOurs encodes every input and loads the accepted ones into table with
// a binary COPY, which PostgreSQL's receive functions must take.
func loadOurs(ctx context.Context, t *testing.T, conn *pgx.Conn, table string, field Field, c diffCase) []error {
	t.Helper()
	errs := make([]error, len(c.inputs))
	stream := append([]byte(nil), copySignature...)
	for i, s := range c.inputs {
		row := binary.BigEndian.AppendUint16(nil, 2)
		row = binary.BigEndian.AppendUint32(row, 4)
		row = binary.BigEndian.AppendUint32(row, uint32(i))
		if row, errs[i] = field.Append(row, s); errs[i] == nil {
			stream = append(stream, row...)
		}
	}
	stream = binary.BigEndian.AppendUint16(stream, 0xffff)
	if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(stream), "COPY "+table+" (i, v) FROM STDIN (FORMAT binary)"); err != nil {
		t.Fatalf("%s: PostgreSQL refused our binary encoding: %v", c.label, err)
	}
	return errs
}

// parseTheirs stores PostgreSQL's own parse of every input into table.
// Text it can receive goes through parse_all; bytes it cannot (invalid
// UTF-8, NUL) go through a CSV COPY each, which must refuse them.
func parseTheirs(ctx context.Context, t *testing.T, conn *pgx.Conn, table, typ string, typmod int32, c diffCase) {
	t.Helper()
	var idx []int32
	var texts []string
	for i, s := range c.inputs {
		if validUTF8(s) {
			idx, texts = append(idx, int32(i)), append(texts, s)
			continue
		}
		csv := fmt.Sprintf("%d,\"%s\"\n", i, strings.ReplaceAll(s, `"`, `""`))
		_, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(csv), "COPY "+table+" (i, v) FROM STDIN (FORMAT csv)")
		if err == nil {
			t.Fatalf("%s: PostgreSQL stored %q, which is not UTF-8 text", c.label, s)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO "+table+" (i, err) VALUES ($1, $2)", i, err.Error()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, "SELECT parse_all($1::regclass, $2::regtype, $3, $4, $5)", table, typ, typmod, idx, texts); err != nil {
		t.Fatalf("parse_all: %v", err)
	}
}

// readStored reads (i, send bytes, text, error) rows by input index.
func readStored(ctx context.Context, t *testing.T, conn *pgx.Conn, query string) map[int]stored {
	t.Helper()
	out := map[int]stored{}
	rows, _ := conn.Query(ctx, query)
	for rows.Next() {
		var i int
		var text *string
		var st stored
		if err := rows.Scan(&i, &st.value, &text, &st.err); err != nil {
			t.Fatal(err)
		}
		if text != nil {
			st.text = *text
		}
		out[i] = st
	}
	if rows.Err() != nil {
		t.Fatalf("%s: %v", query, rows.Err())
	}
	return out
}

// classify compares both sides input by input.
func classify(t *testing.T, c diffCase, ourErr []error, ours, theirs map[int]stored) diffReport {
	t.Helper()
	r := diffReport{inputs: len(c.inputs), byRule: map[string]int{}}
	rules := append([]stricter{strictEmpty}, c.stricter...)
	for i, s := range c.inputs {
		our, their := ours[i], theirs[i]
		switch {
		case ourErr[i] != nil && their.err != "":
			r.rejected++
		case ourErr[i] == nil && their.err == "" && bytes.Equal(our.value, their.value):
			r.accepted++
		case ourErr[i] == nil && their.err == "":
			r.unexplained = append(r.unexplained, fmt.Sprintf("%q: we store %s, PostgreSQL %s", s, our.text, their.text))
		case ourErr[i] == nil:
			r.unexplained = append(r.unexplained, fmt.Sprintf("%q: we store %s, PostgreSQL refuses it: %s", s, our.text, their.err))
		default:
			if k := slices.IndexFunc(rules, func(st stricter) bool { return st.applies(s) }); k >= 0 {
				r.byRule[rules[k].name]++
				continue
			}
			r.unexplained = append(r.unexplained, fmt.Sprintf("%q: we refuse it (%v), PostgreSQL stores %s", s, ourErr[i], their.text))
		}
	}
	for _, st := range c.stricter {
		if r.byRule[st.name] == 0 {
			t.Errorf("%s: rule %s explained no input: a stale rule, or its edge cases are missing", c.label, st.name)
		}
	}
	t.Logf("%s: %s", c.label, r)
	for k, u := range r.unexplained {
		if k == 20 {
			t.Errorf("%s: ... and %d more", c.label, len(r.unexplained)-k)
			break
		}
		t.Errorf("%s: unexplained disagreement: %s", c.label, u)
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
