package store_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/db/dbtest"
	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/contracts"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/schema"
)

// newItemsStore is a Store of a by_name contract on a small table.
func newItemsStore(t *testing.T) (*store.Store, func(sql string) int) {
	t.Helper()
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, size integer DEFAULT 7, seq bigint NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	d, err := contracts.Parse("items", []byte("table: items\nfiles: \"items-*\"\nheader: by_name\nsequence_column: seq\n"))
	if err != nil {
		t.Fatal(err)
	}
	table, err := schema.Resolve(ctx, pool, d)
	if err != nil {
		t.Fatal(err)
	}
	return store.New(pool, table), func(sql string) int { return count(t, pool, sql) }
}

func itemsPart(fileID, header, body string) store.Message {
	seq++
	p := &ingest.Part{FileID: fileID, FileName: "items-" + fileID[:4] + ".csv", Index: 1, Count: 1, FirstLine: 2,
		Rows: strings.Count(body, "\n"), LandedAt: time.Now(), Contract: "items", Columns: header,
		Size: int64(len(header) + 1 + len(body)), From: 0, To: int64(len(header) + 1 + len(body)), Offset: int64(len(header) + 1)}
	return store.Message{ID: p.MsgID(), Seq: seq, Part: p, Body: []byte(body)}
}

// Parts of one batch whose headers differ load by one COPY each; a
// duplicate across them goes through the staging path, which must start
// empty for each group (it once held the previous group's rows).
func TestApplyLoadsByNameHeadersOfSeveralShapes(t *testing.T) {
	s, count := newItemsStore(t)
	batch := []store.Message{
		itemsPart(id('a'), "id,name", "1,one\n2,two\n"),
		itemsPart(id('b'), "name,id,size", "three,3,30\none again,1,10\n"),
		itemsPart(id('c'), "id,name", "4,four\n"),
	}
	out, err := s.Apply(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Outcome{{Applied: true, Loaded: 2}, {Applied: true, Loaded: 1, Rejected: 1}, {Applied: true, Loaded: 1}}
	if !slices.Equal(out, want) {
		t.Fatalf("outcomes %+v, want %+v", out, want)
	}
	if n := count("SELECT count(*) FROM items"); n != 4 {
		t.Errorf("items has %d rows, want 4", n)
	}
	if n := count("SELECT count(*) FROM items WHERE id = 1 AND name = 'one' AND size = 7"); n != 1 {
		t.Error("the first copy of id 1 (with size's default) did not win")
	}
	if n := count(`SELECT count(*) FROM ingest_rejects WHERE contract = 'items' AND column_name = 'id'
		AND reason = 'id "1" is already loaded from "items-aaaa.csv"; the first copy loaded wins'`); n != 1 {
		t.Errorf("want one duplicate reject naming the file of the first copy, got %d", n)
	}
}

// A part whose header does not fit the table rejects its file, with the
// reason, and loads nothing of it; the rest of the batch loads.
func TestApplyRejectsAFileWhoseHeaderDoesNotFit(t *testing.T) {
	s, count := newItemsStore(t)
	batch := []store.Message{
		itemsPart(id('a'), "id,colour", "1,red\n"),
		itemsPart(id('b'), "id,name", "2,two\n"),
	}
	out, err := s.Apply(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != (store.Outcome{Applied: true}) || out[1] != (store.Outcome{Applied: true, Loaded: 1}) {
		t.Fatalf("outcomes %+v", out)
	}
	const want = `the header (line 1) does not fit table "public"."items": contract items: column "colour" is not in table "public"."items"; column "name" of "public"."items" is NOT NULL without a default, and the header does not have it`
	if n := count(`SELECT count(*) FROM rejected_files WHERE file_name = 'items-aaaa.csv' AND reason = '` + want + `'`); n != 1 {
		t.Errorf("want the file rejected with %q", want)
	}
	if n := count("SELECT count(*) FROM ingest_files WHERE file_id = 'items:" + id('a') + "' AND loaded_at IS NOT NULL"); n != 1 {
		t.Error("the rejected file is not accounted for in ingest_files")
	}
}

// Loaders racing on the same messages of a table without a key: nothing
// but the ledger stops a second load. Each transaction reads the ledger,
// loads, and records its messages last; one that finds a message recorded
// meanwhile by another loader rolls back and applies the batch again.
func TestRacingLoadersOnAKeylessTableLoadOnce(t *testing.T) {
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE notes (id bigint NOT NULL, body text)`); err != nil {
		t.Fatal(err)
	}
	d, err := contracts.Parse("notes", []byte("table: notes\nfiles: \"notes-*\"\nheader: by_name\n"))
	if err != nil {
		t.Fatal(err)
	}
	table, err := schema.Resolve(ctx, pool, d)
	if err != nil {
		t.Fatal(err)
	}
	s := store.New(pool, table)
	var batch []store.Message
	for i, c := range []byte("abcdefgh") {
		m := itemsPart(id(c), "id,body", strings.Repeat("1,x\n", i+1))
		m.Part.Contract = "notes"
		if i%2 == 0 {
			// A part without a byte range (a watcher before ranges): no
			// file record serializes the loaders, the ledger alone decides.
			m.Part.From, m.Part.To, m.Part.Offset = 0, 0, 0
			m.ID = m.Part.MsgID()
		}
		batch = append(batch, m)
	}
	for round := range 20 {
		if _, err := pool.Exec(ctx, "TRUNCATE notes, ingest_ledger, ingest_files"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 4 {
			b := slices.Clone(batch)
			if i%2 == 1 {
				slices.Reverse(b)
			}
			wg.Go(func() {
				if _, err := s.Apply(ctx, b); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := count(t, pool, "SELECT count(*) FROM notes"); n != 36 {
			t.Fatalf("round %d: notes has %d rows, want 36 (each message once)", round, n)
		}
		if n := count(t, pool, "SELECT count(*) FROM ingest_ledger"); n != len(batch) {
			t.Fatalf("round %d: %d ledger rows, want %d", round, n, len(batch))
		}
	}
}
