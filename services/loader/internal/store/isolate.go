package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-dev/tributary/shared/schema"
)

// copyMode is how apply loads the rows of a batch.
type copyMode int

const (
	// copyFast COPYs straight into user_activity: the clean path.
	copyFast copyMode = iota
	// copyDedupe loads through a staging table that reports duplicates.
	copyDedupe
	// copyIsolate finds the rows PostgreSQL itself refuses (a CHECK or NOT
	// NULL added after the contract, an encoding the database cannot hold,
	// a trigger) and rejects each alone, loading the rest.
	copyIsolate
)

// isRefusal reports whether PostgreSQL refused content (SQLSTATE class 22
// or 23): worth isolating the rows it refused.
func isRefusal(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23"))
}

// copyIsolating loads src into user_activity, rejecting the rows
// PostgreSQL refuses with its own message, and returns those rows. Only a
// batch that PostgreSQL refused pays for it: the clean path never gets
// here.
//
// The rows are encoded once and COPYed in segments, each in a savepoint.
// When a segment fails, PostgreSQL names the row ("COPY user_activity,
// line N": the Nth row of that COPY): it is refused, the rows before it
// are COPYed again and the COPY goes on after it, so each row is sent at
// most twice. An error without a row (a trigger fired after the rows) is
// bisected down to the row. If PostgreSQL's unique key met duplicates on
// the way, everything is rolled back to before the segments and the batch
// goes through the staging path instead, without the refused rows, so that
// duplicates are reported as usual. The refused rows are returned; in the
// staging case they are already among src's rejects.
func copyIsolating(ctx context.Context, tx pgx.Tx, t *schema.Table, src *rowSource) ([]reject, error) {
	rows := encodeRows(src)
	if _, err := tx.Exec(ctx, "SAVEPOINT ingest_isolate"); err != nil {
		return nil, fmt.Errorf("isolate refused rows: %w", err)
	}
	refused, duplicates, err := copySegments(ctx, tx, copyStatement(t.QualifiedName(), src.columns()), rows, len(t.Key) > 0)
	if err != nil {
		return nil, err
	}
	if !duplicates {
		out := make([]reject, 0, len(refused))
		for _, r := range refused {
			out = append(out, r)
		}
		sort.Slice(out, func(i, j int) bool {
			return out[i].msg < out[j].msg || out[i].msg == out[j].msg && out[i].line < out[j].line
		})
		return out, nil
	}
	if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT ingest_isolate"); err != nil {
		return nil, fmt.Errorf("isolate refused rows: %w", err)
	}
	*src = *newRowSource(src.msgs, src.plans, src.mappings, true)
	src.refused = refused
	return copyDeduplicated(ctx, tx, t, src)
}

// encodedRows are a batch's valid rows in binary COPY format, with where
// each came from.
type encodedRows struct {
	buf  []byte
	offs []int    // offs[i] is where row i starts in buf; one more at the end
	refs []rowRef // row i's message, line and raw text
}

func encodeRows(src *rowSource) encodedRows {
	var e encodedRows
	for {
		start := len(e.buf)
		var ok bool
		if e.buf, ok = src.appendNext(e.buf); !ok {
			break
		}
		e.offs = append(e.offs, start)
		e.refs = append(e.refs, rowRef{msg: src.at, line: src.line, raw: src.raw})
	}
	e.offs = append(e.offs, len(e.buf))
	return e
}

// segment returns a binary COPY stream of rows [lo, hi).
func (e encodedRows) segment(lo, hi int) io.Reader {
	return io.MultiReader(bytes.NewReader(copySignature), bytes.NewReader(e.buf[e.offs[lo]:e.offs[hi]]),
		bytes.NewReader(binary.BigEndian.AppendUint16(nil, 0xffff)))
}

// copySegments COPYs every row that PostgreSQL accepts and returns the
// refused ones by row index, and whether any row was refused only as a
// duplicate of the dedupe key (left out, not refused; a table without a
// key refuses it as any other row). An error that is not a refusal (the
// connection, a restart) ends it: the whole transaction is retried.
func copySegments(ctx context.Context, tx pgx.Tx, sql string, rows encodedRows, keyed bool) (map[int]reject, bool, error) {
	refused := map[int]reject{}
	duplicates := false
	todo := [][2]int{{0, len(rows.refs)}}
	for len(todo) > 0 {
		lo, hi := todo[len(todo)-1][0], todo[len(todo)-1][1]
		todo = todo[:len(todo)-1]
		if lo >= hi {
			continue
		}
		err := copySegment(ctx, tx, sql, rows.segment(lo, hi))
		if err == nil {
			continue
		}
		var pgErr *pgconn.PgError
		if !isRefusal(err) || !errors.As(err, &pgErr) {
			return nil, false, err
		}
		bad := -1
		if n, ok := copyLine(pgErr.Where); ok && n >= 1 && n <= hi-lo {
			bad = lo + n - 1
		} else if hi-lo == 1 {
			bad = lo
		}
		if bad < 0 { // no row named: bisect
			mid := lo + (hi-lo)/2
			todo = append(todo, [2]int{mid, hi}, [2]int{lo, mid})
			continue
		}
		if pgErr.Code == "23505" && keyed {
			duplicates = true
		} else {
			refused[bad] = refusedRow(rows.refs[bad], pgErr)
		}
		todo = append(todo, [2]int{bad + 1, hi}, [2]int{lo, bad})
	}
	return refused, duplicates, nil
}

// copySegment COPYs one segment in a savepoint of its own, so that a
// refusal undoes that segment alone.
func copySegment(ctx context.Context, tx pgx.Tx, sql string, r io.Reader) error {
	if _, err := tx.Exec(ctx, "SAVEPOINT ingest_segment"); err != nil {
		return fmt.Errorf("copy segment: %w", err)
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, r, sql); err != nil {
		if _, rbErr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT ingest_segment"); rbErr != nil {
			return fmt.Errorf("copy segment: %w", errors.Join(err, rbErr))
		}
		return fmt.Errorf("copy segment: %w", err)
	}
	if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT ingest_segment"); err != nil {
		return fmt.Errorf("copy segment: %w", err)
	}
	return nil
}

// copyContext matches the context PostgreSQL gives an error raised while
// COPY reads a row: in binary format the line is the row's position in
// the COPY stream, 1-based, and the column is named when one value failed.
var copyContext = regexp.MustCompile(`COPY [^,\n]+, line (\d+)(?:, column ([^:\n]+))?`)

func copyLine(where string) (int, bool) {
	m := copyContext.FindStringSubmatch(where)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// refusedRow is the reject for a row PostgreSQL refused, with its message.
func refusedRow(ref rowRef, pgErr *pgconn.PgError) reject {
	column := pgErr.ColumnName
	if m := copyContext.FindStringSubmatch(pgErr.Where); column == "" && m != nil {
		column = m[2]
	}
	raw := ref.raw
	if pgErr.Code == "22P05" || pgErr.Code == "22021" {
		// The database's encoding cannot hold a character of the row, so
		// neither can the rejects table: keep the line with it escaped.
		raw = []byte(escapeNonASCII(string(raw)))
	}
	return reject{msg: ref.msg, line: ref.line, column: column, raw: raw,
		reason: fmt.Sprintf("refused by PostgreSQL: %s (SQLSTATE %s)", pgErr.Message, pgErr.Code)}
}

// escapeNonASCII writes every character outside ASCII as \uXXXX (or
// \UXXXXXXXX), which any database encoding can hold.
func escapeNonASCII(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			fmt.Fprintf(&b, `\U%08X`, r)
		}
	}
	return b.String()
}

// copyStatement is a binary COPY FROM STDIN into table's (quoted) columns.
func copyStatement(table string, columns []string) string {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	return "COPY " + table + " (" + strings.Join(cols, ", ") + ") FROM STDIN (FORMAT binary)"
}
