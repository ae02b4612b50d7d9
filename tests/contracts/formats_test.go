package contracts

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/tests/harness"
)

// ordersLine is an NDJSON order with every column of its table, as JSON
// says each: numbers as numbers, a boolean, an object for jsonb; members
// given replace (or, as "-", drop) the defaults.
func ordersLine(id string, members ...string) string {
	defaults := [][2]string{{"order_id", `"` + id + `"`}, {"line_count", "1"}, {"customer_id", "9223372036854775807"}, {"quantity", "3"},
		{"total", "9999999999.99"}, {"discount", "0.1"}, {"weight_kg", "1.5"}, {"gift", "true"}, {"status", `"paid"`},
		{"currency", `"EUR"`}, {"note", `""`}, {"ship_date", `"2026-12-01"`}, {"placed_at", `"2026-12-01 10:00:00+00"`},
		{"updated_at", `"2026-12-01 10:00:00.5"`}, {"attributes", `{"a": [1, {"b": null}], "c": "\u00e9"}`}}
	var out []string
	for _, d := range defaults {
		v := d[1]
		for i := 0; i+1 < len(members); i += 2 {
			if members[i] == d[0] {
				v = members[i+1]
			}
		}
		if v != "-" {
			out = append(out, `"`+d[0]+`": `+v)
		}
	}
	for i := 0; i+1 < len(members); i += 2 {
		if !slices.ContainsFunc(defaults, func(d [2]string) bool { return d[0] == members[i] }) {
			out = append(out, `"`+members[i]+`": `+members[i+1])
		}
	}
	return "{" + strings.Join(out, ", ") + "}\n"
}

// TestOrdersFromNDJSON loads NDJSON into the orders table through a
// by_name contract: its keys are the file's header, each value's kind is
// checked against its column, numbers stay exact, objects go into jsonb,
// and a key the table lacks rejects the file.
func TestOrdersFromNDJSON(t *testing.T) {
	env := harness.NewSecure(t)
	dir := harness.WithExamples(t, env.Pool, "orders")
	decl, err := os.ReadFile(filepath.Join(dir, "orders.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	feed := strings.Replace(string(decl), `files: "orders-*.csv"`, `files: "orders-*.ndjson"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "orders_feed.yaml"), []byte(feed), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Vars["CONTRACTS_DIR"] = dir
	env.Watcher(nil)
	env.Loader(nil)

	id := func(n string) string { return "20000000-0000-4000-8000-00000000000" + n }
	env.Land("orders-1.ndjson", []byte(ordersLine(id("1"))+
		ordersLine(id("2"), "attributes", `"just text"`, "note", "null", "discount", "-")+
		ordersLine(id("3"), "attributes", "1.50", "weight_kg", "1e-3")+
		ordersLine(id("4"), "gift", `"true"`)+
		ordersLine(id("5"), "customer_id", "9223372036854775808")+
		ordersLine(id("6"), "total", "12.345")+
		ordersLine(id("7"), "gift", "-")+
		ordersLine(id("8"), "status", `{"s": "paid"}`)))
	env.Land("orders-2.ndjson", []byte(ordersLine(id("9"), "gift", "-")))
	env.Land("orders-3.ndjson", []byte(ordersLine("20000000-0000-4000-8000-000000000010", "colour", `"red"`)))
	env.Eventually(60*time.Second, "the NDJSON orders loaded", func() bool {
		return env.Count("SELECT count(*) FROM orders") == 4 && env.Count("SELECT count(*) FROM ingest_rejects WHERE contract = 'orders_feed'") == 5 &&
			env.Count("SELECT count(*) FROM rejected_files WHERE file_name = 'orders-3.ndjson'") == 1
	})

	ctx := context.Background()
	tx, err := env.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ id, column, value string }{
		{id("1"), "customer_id", "9223372036854775807"}, {id("1"), "total", "9999999999.99"}, {id("1"), "gift", "true"},
		{id("1"), "note", ""}, {id("1"), "attributes", `{"a": [1, {"b": null}], "c": "é"}`}, {id("1"), "placed_at", "2026-12-01 10:00:00+00"},
		{id("1"), "updated_at", "2026-12-01 10:00:00.5"}, {id("1"), "currency", "EUR"}, {id("1"), "discount", "0.1"},
		{id("2"), "attributes", `"just text"`}, {id("2"), "note", "NULL"}, {id("2"), "discount", "NULL"},
		{id("3"), "attributes", "1.50"}, {id("3"), "weight_kg", "0.001"},
		{id("9"), "gift", "false"}, // no line of its file has the key: the column's default
	} {
		var got *string
		if err := tx.QueryRow(ctx, "SELECT "+want.column+"::text FROM orders WHERE order_id = $1", want.id).Scan(&got); err != nil {
			t.Errorf("%s: %v", want.id, err)
			continue
		}
		if deref(got) != want.value {
			t.Errorf("%s %s = %q, want %q", want.id, want.column, deref(got), want.value)
		}
	}
	rows, err := tx.Query(ctx, `SELECT line_number, column_name, reason FROM ingest_rejects WHERE file_name = 'orders-1.ndjson' ORDER BY line_number`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var line int
		var column, reason string
		if err := rows.Scan(&line, &column, &reason); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{string(rune('0' + line)), column, reason}, " | "))
	}
	want := []string{
		`4 | gift | gift is a JSON string "true"; boolean takes a JSON boolean (true or false)`,
		`5 | customer_id | customer_id "9223372036854775808" is out of range for BIGINT`,
		`6 | total | total "12.345" has more than 2 decimal places`,
		`7 | gift | gift is missing (the line has no such key)`,
		`8 | status | status is a JSON object; varchar takes a JSON string (objects and arrays load only into jsonb columns)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rejects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var reason string
	if err := tx.QueryRow(ctx, "SELECT reason FROM rejected_files WHERE file_name = 'orders-3.ndjson'").Scan(&reason); err != nil ||
		!strings.Contains(reason, `column "colour" is not in table "public"."orders"`) {
		t.Errorf("orders-3.ndjson: rejected with %q (%v), want the unknown key named", reason, err)
	}
}
