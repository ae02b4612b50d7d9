package schema

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/codec"
	"github.com/tributary-dev/tributary/shared/contracts"
)

// Querier is what Resolve needs of a connection or a pool.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// RefusedError means the declaration does not fit its table. Other errors
// (the server unavailable) are worth retrying as they are.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

func refuse(d *contracts.Declaration, format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf("contract %s: ", d.Name) + fmt.Sprintf(format, args...)}
}

// Resolve reads d's table from the catalog and checks that d fits it.
func Resolve(ctx context.Context, q Querier, d *contracts.Declaration) (*Table, error) {
	var (
		oid         uint32
		nsp, rel    string
		kind        string
		insert, sel bool
	)
	err := q.QueryRow(ctx, `
		SELECT c.oid, n.nspname, c.relname, c.relkind::text,
		       has_table_privilege(c.oid, 'INSERT'), has_table_privilege(c.oid, 'SELECT')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = to_regclass($1)`, d.Table).Scan(&oid, &nsp, &rel, &kind, &insert, &sel)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, refuse(d, "table %q does not exist (has its migration been applied?)", d.Table)
	}
	if err != nil {
		var pgErr interface{ SQLState() string }
		if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.SQLState(), "42") {
			return nil, refuse(d, "table %q: %v", d.Table, err)
		}
		return nil, fmt.Errorf("resolve contract %s: %w", d.Name, err)
	}
	t := &Table{Contract: d.Name, Name: pgx.Identifier{nsp, rel}, Sequence: d.SequenceColumn, decl: d}
	switch {
	case kind != "r" && kind != "p":
		return nil, refuse(d, "%s is not a table (relkind %s)", t.QualifiedName(), kind)
	case !insert || !sel:
		return nil, refuse(d, "the loader's role may not SELECT and INSERT into %s: GRANT SELECT, INSERT ON %s TO tributary_loader", t.QualifiedName(), t.QualifiedName())
	}
	if t.Columns, err = readColumns(ctx, q, oid); err != nil {
		return nil, fmt.Errorf("resolve contract %s: %w", d.Name, err)
	}
	if t.Key, err = readKey(ctx, q, oid, d); err != nil {
		return nil, err
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	if d.Header == contracts.HeaderExact {
		if t.exact, err = t.Map(d.HeaderNames()); err != nil {
			return nil, &RefusedError{Reason: err.Error()}
		}
	}
	return t, nil
}

// check refuses what no file could ever load right.
func (t *Table) check() error {
	d := t.decl
	var errs []string
	for _, col := range t.Columns {
		if col.Generated || col.Name == t.Sequence {
			continue
		}
		if _, err := codec.Plan(col.Column, codec.Rules{}); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if t.Sequence != "" {
		if col, ok := t.column(t.Sequence); !ok || col.Type != "int8" {
			errs = append(errs, fmt.Sprintf("sequence_column %q must be a bigint column of %s", t.Sequence, t.QualifiedName()))
		}
	}
	for _, c := range d.Columns {
		col, ok := t.column(c.Name)
		if !ok {
			if d.Header == contracts.HeaderExact || d.UnknownColumns == contracts.UnknownReject || len(c.OneOf) > 0 || c.NonNegative {
				errs = append(errs, fmt.Sprintf("column %q is declared, and table %s has no such column", c.Name, t.QualifiedName()))
			}
			continue
		}
		if _, err := codec.Plan(col.Column, codec.Rules{OneOf: c.OneOf, NonNegative: c.NonNegative}); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		errs = slices.Compact(errs)
		return &RefusedError{Reason: fmt.Sprintf("contract %s: %s", d.Name, strings.Join(errs, "; "))}
	}
	return nil
}

func readColumns(ctx context.Context, q Querier, oid uint32) ([]Column, error) {
	rows, err := q.Query(ctx, `
		SELECT a.attname, t.typname, a.atttypmod, a.attnotnull, a.atthasdef OR a.attidentity = 'd',
		       a.attgenerated <> '' OR a.attidentity = 'a'
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, oid)
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	var (
		cols []Column
		c    Column
	)
	_, err = pgx.ForEachRow(rows, []any{&c.Name, &c.Type, &c.Typmod, &c.NotNull, &c.HasDefault, &c.Generated}, func() error {
		cols = append(cols, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	return cols, nil
}

// readKey returns the declared key, checked against the table's unique
// indexes (in any column order), or the primary key.
func readKey(ctx context.Context, q Querier, oid uint32, d *contracts.Declaration) ([]string, error) {
	rows, err := q.Query(ctx, `
		SELECT i.indisprimary,
		       array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
		             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord)
		FROM pg_index i
		WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indimmediate
		ORDER BY i.indisprimary DESC`, oid)
	if err != nil {
		return nil, fmt.Errorf("resolve contract %s: read keys: %w", d.Name, err)
	}
	type key struct {
		primary bool
		cols    []string
	}
	var keys []key
	var k key
	if _, err := pgx.ForEachRow(rows, []any{&k.primary, &k.cols}, func() error {
		keys = append(keys, k)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("resolve contract %s: read keys: %w", d.Name, err)
	}
	if len(d.Key) == 0 {
		if len(keys) > 0 && keys[0].primary {
			return keys[0].cols, nil
		}
		return nil, nil
	}
	want := slices.Sorted(slices.Values(d.Key))
	for _, k := range keys {
		if slices.Equal(slices.Sorted(slices.Values(k.cols)), want) {
			// In the declared order, which duplicates' reasons follow; an
			// index's column order is about its access path, not meaning.
			return d.Key, nil
		}
	}
	return nil, refuse(d, "key (%s) is not a primary key or unique index of %s", strings.Join(d.Key, ", "), d.Table)
}
