package codec

import (
	"encoding/csv"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/tributary-dev/tributary/shared/contract"
)

// userActivity is user_activity's contract declared as data, in the order
// of contract.Columns: the columns as the catalog describes them, with the
// rules the hard-coded contract applies. session_id needs RejectSpaces
// too: the old contract refused spaces around every text value.
var userActivity = []struct {
	col   Column
	rules Rules
}{
	{Column{Name: "event_id", Type: "varchar", Typmod: 50 + 4, NotNull: true}, Rules{RejectSpaces: true}},
	{Column{Name: "event_time", Type: "timestamp", Typmod: -1, NotNull: true}, Rules{}},
	{Column{Name: "event_type", Type: "varchar", Typmod: 20 + 4, NotNull: true}, Rules{OneOf: []string{"view", "purchase"}}},
	{Column{Name: "product_id", Type: "int4", Typmod: -1, NotNull: true}, Rules{}},
	{Column{Name: "price", Type: "numeric", Typmod: numericTypmod(10, 2), NotNull: true}, Rules{NonNegative: true}},
	{Column{Name: "user_id", Type: "int4", Typmod: -1, NotNull: true}, Rules{}},
	{Column{Name: "session_id", Type: "varchar", Typmod: 50 + 4}, Rules{RejectSpaces: true}},
}

func userActivityPlans(tb testing.TB) []Field {
	tb.Helper()
	fields := make([]Field, len(userActivity))
	for i, c := range userActivity {
		fields[i] = mustPlan(tb, c.col, c.rules)
	}
	return fields
}

// seedFields are the fields of the contract's committed seed rows.
func seedFields(t *testing.T) [][]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "contract", "testdata", "seeds", "*.csv"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no contract seeds: %v", err)
	}
	var rows [][]string
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		for {
			rec, err := r.Read()
			if err != nil {
				break // the end, or a row malformed on purpose: its fields are not the point
			}
			rows = append(rows, rec)
		}
		f.Close()
	}
	return rows
}

// TestUserActivityMatchesContract feeds every column the values that
// exercise contract.Parse and requires the same verdict, the same reason
// byte for byte (users read them in user_activity_rejects), and for
// accepted values an encoding of the value Parse returns.
func TestUserActivityMatchesContract(t *testing.T) {
	plans := userActivityPlans(t)
	valid := []string{"e-1", "2026-03-01 12:30:45", "purchase", "42", "19.99", "7", "s-1"}
	values := make([][]string, contract.NumColumns)
	for _, row := range seedFields(t) {
		for i, v := range row[:min(len(row), contract.NumColumns)] {
			values[i] = append(values[i], v)
		}
	}
	all := []string{"", " ", "x", "-0", "+1", "1e3", "NaN", "\xff", "a\x00", "view ", "VIEW", "é", strings.Repeat("é", 51)}
	for i := range values {
		edges := append(append([]string{valid[i]}, all...), values[i]...)
		values[i] = inputs(uint64(200+i), 1500, "0123456789.-+: Tevwipurchas\té\x00\xff", edges...)
	}
	values[contract.ColEventTime] = append(values[contract.ColEventTime], timestampEdges(rand.New(rand.NewPCG(15, 16)), false)...)
	m := pgtype.NewMap()
	tried := 0
	for col, vals := range values {
		name := contract.Columns[col]
		for _, s := range vals {
			tried++
			row := append([]string(nil), valid...)
			row[col] = s
			ev, perr := contract.Parse(row)
			v, err := encode(t, plans[col], name, s)
			if perr != nil {
				var fe *contract.FieldError
				if !errors.As(perr, &fe) || fe.Column != name {
					t.Fatalf("%s %q: contract.Parse blames another column: %v", name, s, perr)
				}
				if err == nil || err.Error() != fe.Reason {
					t.Errorf("%s %q: codec says %v, contract %q", name, s, err, fe.Reason)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s %q: codec refuses (%v), contract accepts", name, s, err)
				continue
			}
			if got, want := decodeUserActivity(t, m, col, v), eventValue(ev, col); got != want {
				t.Errorf("%s %q: codec stores %s, contract %s", name, s, got, want)
			}
		}
	}
	t.Logf("user_activity: %d values tried, codec and contract.Parse agree on every verdict, reason and value", tried)
}

// decodeUserActivity renders an encoded value of column col with pgx.
func decodeUserActivity(t *testing.T, m *pgtype.Map, col int, v []byte) string {
	t.Helper()
	if v == nil {
		return "NULL"
	}
	var err error
	var out string
	switch col {
	case contract.ColEventTime:
		var ts time.Time
		err = m.Scan(pgtype.TimestampOID, pgtype.BinaryFormatCode, v, &ts)
		out = ts.Format(time.RFC3339Nano)
	case contract.ColProductID, contract.ColUserID:
		var n int32
		err = m.Scan(pgtype.Int4OID, pgtype.BinaryFormatCode, v, &n)
		out = fmt.Sprint(n)
	case contract.ColPrice:
		var n pgtype.Numeric
		err = m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, v, &n)
		cents := new(big.Int).Set(n.Int)
		for e := n.Exp + 2; e > 0; e-- {
			cents.Mul(cents, big.NewInt(10))
		}
		for e := n.Exp + 2; e < 0; e++ {
			cents.Quo(cents, big.NewInt(10))
		}
		out = fmt.Sprintf("%s cents, scale %d", cents, int(v[6])<<8|int(v[7]))
	default:
		err = m.Scan(pgtype.TextOID, pgtype.BinaryFormatCode, v, &out)
	}
	if err != nil {
		t.Fatalf("decode column %d %x: %v", col, v, err)
	}
	return out
}

// eventValue renders column col of an event as decodeUserActivity does.
func eventValue(ev contract.Event, col int) string {
	switch col {
	case contract.ColEventID:
		return ev.ID
	case contract.ColEventTime:
		return ev.Time.Format(time.RFC3339Nano)
	case contract.ColEventType:
		return ev.Type
	case contract.ColProductID:
		return fmt.Sprint(ev.ProductID)
	case contract.ColPrice:
		return fmt.Sprintf("%d cents, scale 2", ev.Price)
	case contract.ColUserID:
		return fmt.Sprint(ev.UserID)
	}
	if ev.SessionID == "" {
		return "NULL"
	}
	return ev.SessionID
}

// benchRows are rows shaped like the generator's, as contract's
// BenchmarkReader builds them, split into fields.
func benchRows() [][]string {
	rows := make([][]string, 10_000)
	for i := range rows {
		rows[i] = []string{
			fmt.Sprintf("0193a1b2-c3d4-7e5f-8a9b-%012d", i), fmt.Sprintf("2026-11-26 05:00:00.%06d", i%1_000_000),
			[]string{"view", "purchase"}[i%2], fmt.Sprint(i%1000 + 1), fmt.Sprintf("%d.%02d", i%999+1, i%100),
			fmt.Sprint(i%5000 + 1), fmt.Sprintf("s-%x", i*7919),
		}
	}
	return rows
}

// BenchmarkUserActivityRow appends a user_activity row's seven fields
// through their Plans, the loader's per-row work on the generic path.
func BenchmarkUserActivityRow(b *testing.B) {
	plans, rows := userActivityPlans(b), benchRows()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		for _, row := range rows {
			buf = buf[:0]
			for i, f := range plans {
				var err error
				if buf, err = f.Append(buf, row[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}

// BenchmarkContractParseRow parses the same rows with contract.Parse, the
// hard-coded path today (which then still encodes them, in the loader).
func BenchmarkContractParseRow(b *testing.B) {
	rows := benchRows()
	b.ReportAllocs()
	for b.Loop() {
		for _, row := range rows {
			if _, err := contract.Parse(row); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}
