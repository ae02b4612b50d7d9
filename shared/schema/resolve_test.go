package schema_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/shared/contracts"
	"github.com/tributary-dev/tributary/shared/schema"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

func pool(t *testing.T, ddl string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if _, err := p.Exec(context.Background(), ddl); err != nil {
		t.Fatal(err)
	}
	return p
}

func decl(t *testing.T, yaml string) *contracts.Declaration {
	t.Helper()
	d, err := contracts.Parse("c", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const tables = `
	CREATE TABLE t (
		id     bigint PRIMARY KEY,
		name   text NOT NULL,
		note   varchar(10),
		n      integer NOT NULL DEFAULT 0,
		big    bigint GENERATED ALWAYS AS (id * 2) STORED,
		seq    bigint NOT NULL
	);
	CREATE TABLE keyed (a text NOT NULL, b date NOT NULL, v text, UNIQUE (b, a));
	CREATE TABLE bare (v text);
	CREATE TABLE odd (id bigint, tags text[], at interval);
	CREATE VIEW v AS SELECT * FROM bare;`

// What the catalog says comes from the catalog: columns, NOT NULL,
// defaults, generated columns and the key; nothing is declared twice.
func TestResolveReadsTheTable(t *testing.T) {
	p := pool(t, tables)
	tb, err := schema.Resolve(context.Background(), p, decl(t, "table: t\nfiles: x\nheader: by_name\nsequence_column: seq\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tb.Key, []string{"id"}) || tb.QualifiedName() != `"public"."t"` || tb.Sequence != "seq" {
		t.Fatalf("table %s key %v sequence %q", tb.QualifiedName(), tb.Key, tb.Sequence)
	}
	// Any order; a column with a default may be missing.
	m, err := tb.Map([]string{"name", "id"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Copy, []string{"name", "id", "seq"}) || !slices.Equal(m.KeyAt, []int{1}) || m.Width != 2 {
		t.Errorf("mapping %+v", m)
	}
	tests := []struct {
		header []string
		want   string
	}{
		{[]string{"id"}, `column "name" of "public"."t" is NOT NULL without a default, and the header does not have it`},
		{[]string{"id", "name", "colour"}, `column "colour" is not in table "public"."t"`},
		{[]string{"id", "name", "big"}, `column "big" of "public"."t" is generated; files cannot fill it`},
		{[]string{"id", "name", "seq"}, `column "seq" is the sequence_column, which the loader fills`},
		{[]string{"name", "n"}, `the header does not have key column "id"`},
	}
	for _, tt := range tests {
		if _, err := tb.Map(tt.header); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Map(%v) = %v, want %q", tt.header, err, tt.want)
		}
	}
	ignoring, err := schema.Resolve(context.Background(), p, decl(t, "table: t\nfiles: x\nheader: by_name\nunknown_columns: ignore\nsequence_column: seq\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := ignoring.Map([]string{"id", "colour", "name"}); err != nil || m.Fields[1] != nil || !slices.Equal(m.Copy, []string{"id", "name", "seq"}) {
		t.Errorf("unknown_columns: ignore: %+v, %v", m, err)
	}
}

func TestResolveKeys(t *testing.T) {
	p := pool(t, tables)
	ctx := context.Background()
	keyed, err := schema.Resolve(ctx, p, decl(t, "table: keyed\nfiles: x\nheader: by_name\nkey: [a, b]\n"))
	if err != nil || !slices.Equal(keyed.Key, []string{"a", "b"}) {
		t.Errorf("declared key: %v, %v; want the unique index (b, a) found, in the declared order (a, b) reasons name", keyed, err)
	}
	bare, err := schema.Resolve(ctx, p, decl(t, "table: bare\nfiles: x\nheader: by_name\n"))
	if err != nil || len(bare.Key) != 0 {
		t.Errorf("a table without a key: %v, %v; want no key (every row loads)", bare, err)
	}
	_, err = schema.Resolve(ctx, p, decl(t, "table: keyed\nfiles: x\nheader: by_name\nkey: [a]\n"))
	wantRefused(t, err, `contract c: key (a) is not a primary key or unique index of keyed`)
}

// A declaration that does not fit its table is refused, with a message
// naming what does not fit; nothing is loaded wrongly.
func TestResolveRefusesWhatDoesNotFit(t *testing.T) {
	p := pool(t, tables)
	tests := []struct{ yaml, want string }{
		{"table: missing\nfiles: x\nheader: by_name\n", `contract c: table "missing" does not exist (has its migration been applied?)`},
		{"table: v\nfiles: x\nheader: by_name\n", `contract c: "public"."v" is not a table (relkind v)`},
		{"table: odd\nfiles: x\nheader: by_name\n", `column "tags" has type _text, which contracts do not support`},
		{"table: odd\nfiles: x\nheader: by_name\n", `column "at" has type interval, which contracts do not support`},
		{"table: t\nfiles: x\nheader: exact\ncolumns: [id, name, colour]\n", `column "colour" is declared, and table "public"."t" has no such column`},
		{"table: t\nfiles: x\nheader: exact\ncolumns: [id]\n", `column "name" of "public"."t" is NOT NULL without a default, and the header does not have it`},
		{"table: t\nfiles: x\nheader: by_name\ncolumns: [{name: id, one_of: [a]}]\n", `column "id" has type bigint, to which OneOf does not apply`},
		{"table: t\nfiles: x\nheader: by_name\nsequence_column: name\n", `sequence_column "name" must be a bigint column`},
	}
	for _, tt := range tests {
		_, err := schema.Resolve(context.Background(), p, decl(t, tt.yaml))
		wantRefused(t, err, tt.want)
	}
}

func TestResolveRefusesWithoutTheGrants(t *testing.T) {
	p := pool(t, tables+`
		DO $$ BEGIN CREATE ROLE tributary_schema_test NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
		GRANT SELECT ON t TO tributary_schema_test;`)
	ctx := context.Background()
	conn, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET ROLE tributary_schema_test"); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "RESET ROLE")
	_, err = schema.Resolve(ctx, conn, decl(t, "table: t\nfiles: x\nheader: by_name\n"))
	wantRefused(t, err, `the loader's role may not SELECT and INSERT into "public"."t": GRANT SELECT, INSERT ON "public"."t" TO tributary_loader`)
}

func wantRefused(t *testing.T, err error, want string) {
	t.Helper()
	var r *schema.RefusedError
	if !errors.As(err, &r) || !strings.Contains(err.Error(), want) {
		t.Errorf("Resolve = %v, want a refusal saying %q", err, want)
	}
}
