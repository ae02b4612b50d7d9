package report

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// known is a hand-made day of events. The figures the test expects are
// computed by hand from it in the comments below.
const known = `
INSERT INTO user_activity (event_id, event_time, event_type, product_id, price, user_id, session_id, source_seq) VALUES
 ('a', '2026-11-20 10:05:00',        'view',     1, 10.50, 1, 's1', 1),
 ('b', '2026-11-20 10:06:00',        'purchase', 1, 10.50, 1, 's1', 1),
 ('c', '2026-11-20 10:59:59.999999', 'purchase', 2,  0.10, 2, 's2', 1),
 ('d', '2026-11-20 11:00:00',        'purchase', 2,  0.20, 2, NULL, 1),
 ('e', '2026-11-20 11:30:00',        'view',     3,  5.00, 3, 's3', 1),
 ('x', '2026-11-21 00:00:00',        'purchase', 1, 99999999.99, 5, 's5', 1),
 ('y', '2026-11-19 23:59:59.999999', 'purchase', 1,  1.00, 6, 's6', 1);
INSERT INTO user_activity (event_id, event_time, event_type, product_id, price, user_id, session_id, source_seq)
 SELECT 'f' || i, timestamp '2026-11-20 12:00:00' + i * interval '1 second', 'purchase', 4, 0.10, 4, 's4', 1
 FROM generate_series(0, 9) AS i;`

func TestBuildMatchesHandComputation(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, known); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	rep, err := Build(ctx, pool, Range{From: day, To: day.Add(24 * time.Hour), Bucket: "hour", Top: 3})
	if err != nil {
		t.Fatal(err)
	}

	// Rows x (next day 00:00, the end is excluded) and y (the day before)
	// fall outside. Revenue: 10.50 + 0.10 + 0.20 + 10 x 0.10 = 11.80 exactly
	// (a float sum of ten 0.10 is 0.9999999999999999). Users 1-4; sessions
	// s1-s4 (d has none).
	first, last := day.Add(10*time.Hour+5*time.Minute), day.Add(12*time.Hour+9*time.Second)
	want := Summary{Events: 15, Views: 2, Purchases: 13, Revenue: 1180, ActiveUsers: 4, Sessions: 4, First: &first, Last: &last}
	if s := rep.Summary; s.Events != want.Events || s.Views != want.Views || s.Purchases != want.Purchases || s.Revenue != want.Revenue ||
		s.ActiveUsers != want.ActiveUsers || s.Sessions != want.Sessions || !s.First.Equal(first) || !s.Last.Equal(last) {
		t.Errorf("summary = %+v (first %v, last %v), want %+v", s, s.First, s.Last, want)
	}

	// Hours 10, 11, 12; the 21 other hours are zero rows.
	if len(rep.Periods) != 24 {
		t.Fatalf("%d hourly periods, want 24", len(rep.Periods))
	}
	wantHours := map[int]Period{
		10: {Events: 3, ActiveUsers: 2, Sessions: 2, Purchases: 2, Revenue: 1060},  // 10.50 + 0.10
		11: {Events: 2, ActiveUsers: 2, Sessions: 1, Purchases: 1, Revenue: 20},    // 0.20; s3 only
		12: {Events: 10, ActiveUsers: 1, Sessions: 1, Purchases: 10, Revenue: 100}, // 10 x 0.10
	}
	for h, p := range rep.Periods {
		w := wantHours[h]
		w.Start = day.Add(time.Duration(h) * time.Hour)
		if !p.Start.Equal(w.Start) || p.Events != w.Events || p.ActiveUsers != w.ActiveUsers || p.Sessions != w.Sessions ||
			p.Purchases != w.Purchases || p.Revenue != w.Revenue {
			t.Errorf("hour %d = %+v, want %+v", h, p, w)
		}
	}
	if len(rep.Days) != 1 || rep.Days[0].Revenue != 1180 || rep.Days[0].Events != 15 {
		t.Errorf("days = %+v, want one day of 15 events and 11.80", rep.Days)
	}

	// Views 2, purchases 13: 6.5 purchases per view. Sessions with a view:
	// s1, s3; of those s1 bought: 50%.
	if len(rep.Conversion) != 1 {
		t.Fatalf("conversion = %+v, want one day", rep.Conversion)
	}
	c := rep.Conversion[0]
	if c.Views != 2 || c.Purchases != 13 || *c.PurchasesPerView != 6.5 || c.ViewingSessions != 2 || c.BuyingSessions != 1 || *c.SessionConversion != 0.5 {
		t.Errorf("conversion = %+v (per view %v, sessions %v)", c, *c.PurchasesPerView, *c.SessionConversion)
	}

	// By revenue: product 1 (10.50, 1 view, 1 purchase), 4 (1.00, no view),
	// 2 (0.30 = 0.10 + 0.20, no view); 3 (no revenue) is fourth.
	wantProducts := []struct {
		id        int32
		revenue   contract.Cents
		purchases int64
		perView   string
	}{{1, 1050, 1, "1.0000"}, {4, 100, 10, "-"}, {2, 30, 2, "-"}}
	if len(rep.Products) != len(wantProducts) {
		t.Fatalf("products = %+v, want %d", rep.Products, len(wantProducts))
	}
	for i, w := range wantProducts {
		p := rep.Products[i]
		if p.ID != w.id || p.Revenue != w.revenue || p.Purchases != w.purchases || ratio(p.PurchasesPerView) != w.perView {
			t.Errorf("product #%d = %+v, want %+v", i+1, p, w)
		}
	}

	var out bytes.Buffer
	if err := Render(&out, rep); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"15  2  13  11.80  4  4", "2026-11-20  10:00  3  2  2  2  10.60", "2026-11-20  2  13  6.5000  2  1  50.00%"} {
		if !strings.Contains(squeeze(out.String()), line) {
			t.Errorf("rendered report lacks %q:\n%s", line, out.String())
		}
	}
	chart := filepath.Join(t.TempDir(), "revenue.png")
	if err := Chart(rep, chart); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(chart); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("chart is not a PNG (err %v)", err)
	}
}

func TestRangeValidate(t *testing.T) {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		give Range
		want string
	}{
		{Range{From: day, To: day, Bucket: "hour", Top: 1}, "range is empty"},
		{Range{From: day, To: day.Add(time.Hour), Bucket: "week", Top: 1}, "not minute, hour or day"},
		{Range{From: day, To: day.Add(time.Hour), Bucket: "hour", Top: 0}, "top is 0"},
	}
	for _, tt := range tests {
		if err := tt.give.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.give, err, tt.want)
		}
	}
}

// squeeze collapses runs of spaces, so assertions do not depend on widths.
func squeeze(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' }), "  ")
}
