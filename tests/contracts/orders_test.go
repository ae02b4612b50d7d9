// Package contracts tests contracts end to end: a second contract, orders,
// with a column of every supported type, loads beside user_activity through
// the real services, and every row of its corpus ends as its manifest says.
package contracts

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/tests/harness"
)

// orderColumns are the orders columns files carry, in table order.
var orderColumns = []string{"order_id", "line_count", "customer_id", "quantity", "total", "discount", "weight_kg",
	"gift", "status", "currency", "note", "ship_date", "placed_at", "updated_at", "attributes"}

// goodOrder is a row every column of which loads.
var goodOrder = map[string]string{
	"line_count": "1", "customer_id": "42", "quantity": "3", "total": "19.99", "discount": "0.1", "weight_kg": "1.5",
	"gift": "true", "status": "paid", "currency": "EUR", "note": "hello", "ship_date": "2026-12-01",
	"placed_at": "2026-12-01 10:00:00+00", "updated_at": "2026-12-01 10:00:00", "attributes": `{"a": 1}`,
}

// orderCase is a line of testdata/orders/cases.tsv.
type orderCase struct {
	column, value string
	load          bool
	want          string // the stored value as ::text, or a part of the reject reason
	id            string // the row's order_id
	line          int    // where it lands in the corpus file
}

func readCases(t *testing.T) []orderCase {
	t.Helper()
	f, err := os.Open(harness.RepoFile("tests/testdata/orders/cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []orderCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.HasPrefix(sc.Text(), "#") || sc.Text() == "" {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 4 || (cols[2] != "load" && cols[2] != "reject") {
			t.Fatalf("cases.tsv line %d: want column, value, load|reject, expectation", n)
		}
		value, err := strconv.Unquote(cols[1])
		if err != nil {
			t.Fatalf("cases.tsv line %d: value %s: %v", n, cols[1], err)
		}
		want := cols[3]
		if strings.HasPrefix(want, `"`) {
			if want, err = strconv.Unquote(want); err != nil {
				t.Fatalf("cases.tsv line %d: expectation: %v", n, err)
			}
		}
		c := orderCase{column: cols[0], value: value, load: cols[2] == "load", want: want,
			id: fmt.Sprintf("00000000-0000-4000-8000-%012d", len(cases)+1)}
		if c.column == "order_id" {
			c.id = value
		}
		cases = append(cases, c)
	}
	return cases
}

// corpus renders the cases as one file with header columns and returns it,
// setting each case's line.
func corpus(t *testing.T, cases []orderCase, columns []string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(columns)
	line := 2
	for i := range cases {
		c := &cases[i]
		row := make([]string, len(columns))
		for j, col := range columns {
			switch col {
			case c.column:
				row[j] = c.value
			case "order_id":
				row[j] = c.id
			default:
				row[j] = goodOrder[col]
			}
		}
		c.line = line
		for _, f := range row {
			line += strings.Count(f, "\n")
		}
		line++
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

// row renders one order with the given column values over goodOrder.
func order(columns []string, id string, over map[string]string) []string {
	row := make([]string, len(columns))
	for i, col := range columns {
		v, ok := over[col]
		if !ok {
			v = goodOrder[col]
		}
		if col == "order_id" {
			v = id
		}
		row[i] = v
	}
	return row
}

func csvFile(rows ...[]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(rows)
	return b.Bytes()
}

func TestOrdersCorpusMatchesItsManifest(t *testing.T) {
	env := StartWithOrders(t)
	cases := readCases(t)

	reversed := slices.Clone(orderColumns)
	slices.Reverse(reversed)
	noGift := slices.DeleteFunc(slices.Clone(orderColumns), func(c string) bool { return c == "gift" })
	env.Land("orders-reversed.csv", csvFile(reversed, order(reversed, "10000000-0000-4000-8000-000000000001", nil)))
	env.Land("orders-nogift.csv", csvFile(noGift, order(noGift, "10000000-0000-4000-8000-000000000002", nil)))
	env.Land("orders-unknown.csv", csvFile(append(slices.Clone(orderColumns), "colour"),
		append(order(orderColumns, "10000000-0000-4000-8000-000000000003", nil), "red")))
	noStatus := slices.DeleteFunc(slices.Clone(orderColumns), func(c string) bool { return c == "status" })
	env.Land("orders-nostatus.csv", csvFile(noStatus, order(noStatus, "10000000-0000-4000-8000-000000000004", nil)))
	// The corpus lands once the reversed file's order is in: batched with
	// the corpus, whose CHECK refusals load it under savepoints, it would
	// carry a subtransaction's xmin, and the duplicate below would be told
	// without the file that loaded it (see dedupeStatement).
	env.Eventually(30*time.Second, "the header files loaded", func() bool {
		return env.Count("SELECT count(*) FROM orders") == 2
	})
	env.Land("orders-corpus.csv", corpus(t, cases, orderColumns))
	env.Generate(2, 100, nil) // user_activity loads beside orders

	loads := 0
	for _, c := range cases {
		if c.load {
			loads++
		}
	}
	wantOrders := loads + 2
	env.Eventually(60*time.Second, "orders and user_activity loaded", func() bool {
		return env.Count("SELECT count(*) FROM orders") == wantOrders && env.Rows() == 200 &&
			env.Count("SELECT count(*) FROM rejected_files WHERE file_name LIKE 'orders-%'") == 2
	})
	// A copy of a loaded order in another file is a duplicate.
	env.Land("orders-dup.csv", csvFile(orderColumns, order(orderColumns, "10000000-0000-4000-8000-000000000001", nil)))
	env.Eventually(30*time.Second, "the duplicate rejected", func() bool {
		return env.Count("SELECT count(*) FROM ingest_rejects WHERE file_name = 'orders-dup.csv'") == 1
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
	for _, c := range cases {
		var (
			stored *string
			found  bool
		)
		id := c.id
		if c.column == "order_id" {
			id = c.want // the id as stored; a rejected one is no uuid at all
		}
		if c.column != "order_id" || c.load {
			err := tx.QueryRow(ctx, fmt.Sprintf("SELECT true, %s::text FROM orders WHERE order_id = $1::uuid", c.column), id).Scan(&found, &stored)
			if err != nil && !strings.Contains(err.Error(), "no rows") {
				t.Fatalf("%s %q: %v", c.column, c.value, err)
			}
		}
		var reason, column *string
		_ = tx.QueryRow(ctx, `SELECT reason, column_name FROM ingest_rejects
			WHERE contract = 'orders' AND file_name = 'orders-corpus.csv' AND line_number = $1`, c.line).Scan(&reason, &column)
		switch {
		case c.load && !found:
			t.Errorf("%s %q (line %d): not loaded (reject: %v)", c.column, c.value, c.line, deref(reason))
		case c.load && deref(stored) != c.want:
			t.Errorf("%s %q: stored %q, want %q", c.column, c.value, deref(stored), c.want)
		case !c.load && found:
			t.Errorf("%s %q: loaded as %q, want a reject saying %q", c.column, c.value, deref(stored), c.want)
		case !c.load && (reason == nil || !strings.Contains(*reason, c.want) || deref(column) != c.column && !refusedByTable(*reason)):
			t.Errorf("%s %q (line %d): reject %q in column %q, want one in %s saying %q", c.column, c.value, c.line, deref(reason), deref(column), c.column, c.want)
		}
	}
	var gift bool
	if err := tx.QueryRow(ctx, "SELECT gift FROM orders WHERE order_id = '10000000-0000-4000-8000-000000000002'").Scan(&gift); err != nil || gift {
		t.Errorf("a file without the gift column: gift = %v (%v), want the default, false", gift, err)
	}
	for name, want := range map[string]string{
		"orders-unknown.csv":  `column "colour" is not in table "public"."orders"`,
		"orders-nostatus.csv": `column "status" of "public"."orders" is NOT NULL without a default, and the header does not have it`,
	} {
		var reason string
		if err := tx.QueryRow(ctx, "SELECT reason FROM rejected_files WHERE file_name = $1", name).Scan(&reason); err != nil || !strings.Contains(reason, want) {
			t.Errorf("%s: rejected with %q (%v), want a reason saying %q", name, reason, err, want)
		}
	}
	var dup string
	if err := tx.QueryRow(ctx, "SELECT reason FROM ingest_rejects WHERE file_name = 'orders-dup.csv'").Scan(&dup); err != nil ||
		dup != `order_id "10000000-0000-4000-8000-000000000001" is already loaded from "orders-reversed.csv"; the first copy loaded wins` {
		t.Errorf("duplicate: %q (%v)", dup, err)
	}
	if n := env.Count("SELECT count(*) FROM user_activity_rejects"); n != 0 {
		t.Errorf("user_activity_rejects shows %d rows: orders' rejects leaked into it", n)
	}
	t.Logf("orders corpus: %d cases (%d load, %d reject) as the manifest says; 4 header files, a duplicate, 200 user_activity rows beside", len(cases), loads, len(cases)-loads)
}

// refusedByTable tells a row PostgreSQL refused for a table constraint,
// which names no column (a CHECK may span several).
func refusedByTable(reason string) bool {
	return strings.HasPrefix(reason, "refused by PostgreSQL: ") && strings.Contains(reason, "constraint")
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

// StartWithOrders starts a watcher and a loader with the repository's
// contracts and the orders example, its table migrated.
func StartWithOrders(t *testing.T) *harness.Env {
	t.Helper()
	return startWithOrders(t, nil)
}

func startWithOrders(t *testing.T, loaderVars map[string]string) *harness.Env {
	t.Helper()
	env := harness.NewSecure(t)
	env.Vars["CONTRACTS_DIR"] = harness.WithExamples(t, env.Pool, "orders")
	env.Watcher(nil)
	env.Loader(loaderVars)
	return env
}
