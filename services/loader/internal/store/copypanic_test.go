package store

import (
	"context"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/db/dbtest"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/schema"
	"github.com/tributary-dev/tributary/shared/schema/schematest"
)

// pgx reads the COPY source in a goroutine of its own, where no caller's
// recover reaches: a panic while a row is parsed or encoded must come back
// as a data error of the message being read, not end the process.
func TestPanicWhileReadingTheCopySourceIsADataError(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	body := "e1,2026-01-02 03:04:05,view,1,1.00,1,s\ne2,2026-01-02 03:04:05,view,1,1.00,1,s\n"
	msgs := []Message{
		{ID: "m1", Seq: 1, Part: &ingest.Part{FileName: "a.csv", FirstLine: 2}, Body: []byte(body)},
		{ID: "m2", Seq: 2, Part: &ingest.Part{FileName: "b.csv", FirstLine: 2}, Body: []byte(body)},
	}
	table := schematest.UserActivity(t, pool)
	src := newRowSource(msgs, make([]rowFilter, len(msgs)), []*schema.Mapping{table.Exact(), table.Exact()}, false)
	src.loaded = src.loaded[:1] // the second message's first row indexes past it: a bug, in pgx's goroutine
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	err = copyRows(ctx, tx, table.QualifiedName(), src.columns(), src)
	if !IsData(err) {
		t.Fatalf("copyRows = %v, want a *DataError", err)
	}
	t.Log(err)
	for _, want := range []string{"panic", "index out of range", `"m2"`, "rows.go:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM user_activity").Scan(&n); err != nil || n != 0 {
		t.Fatalf("user_activity has %d rows (%v), want none", n, err)
	}
}
