package faults

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// ordersColumns are the columns of the orders example a file may carry;
// every file lands them in an order of its own (the contract maps by name).
var ordersColumns = []string{"order_id", "line_count", "customer_id", "quantity", "total", "discount", "weight_kg",
	"gift", "status", "currency", "note", "ship_date", "placed_at", "updated_at", "attributes"}

// ordersFeed lands files of the orders contract (a column of every
// supported type) beside the generated events, through the same faults,
// and remembers each order's total: the second contract's oracle.
type ordersFeed struct {
	rng *rand.Rand

	mu     sync.Mutex
	files  int
	totals map[string]int64 // order_id -> total in cents
}

func newOrdersFeed(seed uint64) *ordersFeed {
	return &ordersFeed{rng: rand.New(rand.NewPCG(seed, 4)), totals: map[string]int64{}}
}

// file renders the next orders file.
func (o *ordersFeed) file() (string, []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.files++
	cols := append([]string(nil), ordersColumns...)
	o.rng.Shuffle(len(cols), func(i, j int) { cols[i], cols[j] = cols[j], cols[i] })
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(cols)
	for i := range 25 {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", o.files, i)
		cents := o.rng.Int64N(10_000_000)
		o.totals[id] = cents
		v := map[string]string{
			"order_id": id, "line_count": fmt.Sprint(1 + i%5), "customer_id": fmt.Sprint(o.rng.Int64()),
			"quantity": fmt.Sprint(o.rng.IntN(100)), "total": fmt.Sprintf("%d.%02d", cents/100, cents%100),
			"discount": "0.25", "weight_kg": fmt.Sprint(o.rng.Float64()), "gift": []string{"true", "f", "yes", "0"}[i%4],
			"status": []string{"placed", "paid", "shipped", "cancelled"}[i%4], "currency": "EUR",
			"note": fmt.Sprintf("order %d, \"line\" %d\nsecond line", o.files, i), "ship_date": "2026-12-01",
			"placed_at": fmt.Sprintf("2026-12-01 10:%02d:%02d+01:00", i, o.files%60), "updated_at": "2026-12-01 10:00:00.123456",
			"attributes": fmt.Sprintf(`{"file": %d, "row": %d, "tags": ["a", "b"]}`, o.files, i),
		}
		row := make([]string, len(cols))
		for j, c := range cols {
			row[j] = v[c]
		}
		_ = w.Write(row)
	}
	w.Flush()
	return fmt.Sprintf("orders-%06d.csv", o.files), b.Bytes()
}

// verify checks that orders holds every order landed, once, with its
// total to the cent, and that nothing of the contract was rejected.
func (o *ordersFeed) verify(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	ctx := context.Background()
	rows, err := c.Pool.Query(ctx, "SELECT order_id::text, (total * 100)::bigint FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for rows.Next() {
		var (
			id    string
			cents int64
		)
		if err := rows.Scan(&id, &cents); err != nil {
			t.Fatal(err)
		}
		got[id] = cents
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	lost, wrong := 0, 0
	for id, cents := range o.totals {
		have, ok := got[id]
		switch {
		case !ok:
			lost++
		case have != cents:
			wrong++
		}
	}
	archived := 0
	entries, _ := os.ReadDir(c.Data.Path(datadir.Archive))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "orders-") {
			archived++
		}
	}
	if archived != o.files {
		t.Errorf("archive/ holds %d orders files, %d were landed", archived, o.files)
	}
	var rejects, rejectedFiles int
	_ = c.Pool.QueryRow(ctx, "SELECT count(*) FROM ingest_rejects WHERE contract = 'orders'").Scan(&rejects)
	_ = c.Pool.QueryRow(ctx, "SELECT count(*) FROM rejected_files WHERE file_name LIKE 'orders-%'").Scan(&rejectedFiles)
	t.Logf("RESULT orders files=%d orders=%d loaded=%d lost=%d wrong-total=%d extra=%d rejects=%d rejected-files=%d",
		o.files, len(o.totals), len(got), lost, wrong, len(got)-(len(o.totals)-lost), rejects, rejectedFiles)
	if lost > 0 || wrong > 0 || len(got) != len(o.totals) || rejects > 0 || rejectedFiles > 0 {
		t.Errorf("orders: %d lost, %d with a wrong total, %d rows for %d orders, %d rejects, %d rejected files",
			lost, wrong, len(got), len(o.totals), rejects, rejectedFiles)
	}
}
