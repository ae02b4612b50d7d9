package faults

import (
	"bytes"
	"context"
	"encoding/csv"
	"log/slog"
	"math/big"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// The oracle's digests against a doctored table: the migrations' schema
// with the primary key dropped (so that a row can be there twice), two
// files loaded as the loader loads them (a ledger row per message, each
// row's source_seq its message's stream sequence), then one change per
// case. Each change must be found and named by its file. The untouched
// table must match, which also shows that PostgreSQL hashes the event
// ids as the oracle does.
func TestOracleDigestsFindADoctoredTable(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ALTER TABLE user_activity DROP CONSTRAINT user_activity_pkey"); err != nil {
		t.Fatal(err)
	}
	o := newOracle()
	files := []struct {
		name string
		data []byte
	}{{"a.csv", mixedFile(1)}, {"b.csv", csvFile("b", 300)}}
	for _, f := range files {
		if err := o.add(f.name, f.data); err != nil {
			t.Fatal(err)
		}
	}
	load := func(t *testing.T) {
		t.Helper()
		if _, err := pool.Exec(ctx, "TRUNCATE user_activity, ingest_ledger"); err != nil {
			t.Fatal(err)
		}
		for i, f := range files {
			seq := int64(i + 1)
			id := o.good[f.name]
			if _, err := pool.Exec(ctx, `INSERT INTO ingest_ledger (message_id, file_id, file_name, stream_seq) VALUES ($1, $1, $2, $3)`,
				id, f.name, seq); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.CopyFrom(ctx, pgx.Identifier{"user_activity"}, copyColumnsOf(), pgx.CopyFromRows(rowsOf(t, f.data, seq))); err != nil {
				t.Fatal(err)
			}
		}
	}

	tests := []struct {
		name       string
		doctor     string
		wantFiles  []string // "" for rows of no ledger row
		wantLost   int
		wantExtra  int
		wantPrices bool // a price sum differs
	}{
		{name: "as loaded"},
		{"a row missing", "DELETE FROM user_activity WHERE event_id = 'b-7'", []string{"b.csv"}, 1, 0, true},
		{"a row twice", "INSERT INTO user_activity SELECT * FROM user_activity WHERE event_id = 'mixed-1-3'", []string{"a.csv"}, 0, 1, true},
		{"a price one cent up", "UPDATE user_activity SET price = price + 0.01 WHERE event_id = 'b-9'", []string{"b.csv"}, 0, 0, true},
		{"an event id changed", "UPDATE user_activity SET event_id = 'b-9x' WHERE event_id = 'b-9'", []string{"b.csv"}, 1, 1, false},
		{"a row under the other file's message", "UPDATE user_activity SET source_seq = 2 WHERE event_id = 'mixed-1-3'", []string{"a.csv", "b.csv"}, 1, 1, true},
		{"a row of no message", "UPDATE user_activity SET source_seq = 99 WHERE event_id = 'b-7'", []string{"", "b.csv"}, 1, 1, true},
		{"a row never fed", "INSERT INTO user_activity VALUES ('stray', '2026-11-26 10:00:00', 'view', 1, 0, 1, NULL, 2)", []string{"b.csv"}, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			load(t)
			if tt.doctor != "" {
				if _, err := pool.Exec(ctx, tt.doctor); err != nil {
					t.Fatal(err)
				}
			}
			got, err := tableDigests(ctx, pool)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			lost, extra, prices := 0, 0, false
			for _, m := range diff(o.contents, got) {
				name := ""
				if m.content != "" {
					name = o.namesOf(m.content)[0]
				}
				files = append(files, name)
				lost, extra = lost+m.lost(), extra+m.extra()
				prices = prices || m.got.cents != m.want.cents
				t.Logf("%s: %s", name, m)
			}
			slices.Sort(files)
			if !slices.Equal(files, tt.wantFiles) || lost != tt.wantLost || extra != tt.wantExtra || prices != tt.wantPrices {
				t.Errorf("mismatches in %q, lost %d, extra %d, prices differ %v; want %q, %d, %d, %v",
					files, lost, extra, prices, tt.wantFiles, tt.wantLost, tt.wantExtra, tt.wantPrices)
			}
		})
	}
}

func copyColumnsOf() []string {
	return []string{"event_id", "event_time", "event_type", "product_id", "price", "user_id", "session_id", "source_seq"}
}

// rowsOf returns a file's valid rows as the loader would COPY them.
func rowsOf(t *testing.T, data []byte, seq int64) [][]any {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	for _, rec := range recs[1:] {
		ev, err := contract.Parse(rec)
		if err != nil {
			continue // the contract's rejects load nothing
		}
		var session any
		if ev.SessionID != "" {
			session = ev.SessionID
		}
		price := pgtype.Numeric{Int: big.NewInt(int64(ev.Price)), Exp: -2, Valid: true}
		out = append(out, []any{ev.ID, ev.Time, ev.Type, ev.ProductID, price, ev.UserID, session, seq})
	}
	return out
}
