package synth

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tributary-dev/tributary/shared/contract"
)

func fixed() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.UTC) }

func TestEventsFollowTheContract(t *testing.T) {
	s := New(Options{Seed: 1, PurchaseRatio: 0.3, Products: 100, Users: 50, Sessions: 10}, fixed)
	purchases := 0
	const n = 20000
	ids := map[string]bool{}
	for range n {
		ev := s.Next()
		fields := ev.Fields()
		got, err := contract.Parse(fields)
		if err != nil {
			t.Fatalf("generated row breaks the contract: %v (%q)", err, fields)
		}
		if got != ev {
			t.Fatalf("round trip changed the event: %+v != %+v", got, ev)
		}
		if ids[ev.ID] {
			t.Fatalf("duplicate event id %s", ev.ID)
		}
		ids[ev.ID] = true
		if ev.Type == contract.TypePurchase {
			purchases++
		}
	}
	if share := float64(purchases) / n; share < 0.28 || share > 0.32 {
		t.Errorf("purchase share = %.3f, want about 0.30", share)
	}
}

func TestSameSeedSameContent(t *testing.T) {
	opts := Options{Seed: 7, PurchaseRatio: 0.3, Products: 100, Users: 50, Sessions: 10}
	a, b := New(opts, fixed), New(opts, fixed)
	for range 100 {
		x, y := a.Next(), b.Next()
		if x.ID == y.ID {
			t.Fatal("event ids repeat across runs")
		}
		x.ID, y.ID = "", ""
		if x != y {
			t.Fatalf("same seed, different content: %+v vs %+v", x, y)
		}
	}
}

func TestSpreadCoversTheDay(t *testing.T) {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	s := New(Options{Seed: 1, PurchaseRatio: 0.3, Products: 10, Users: 10, Sessions: 2}, Spread(day, 24*time.Hour, 4))
	want := []string{"2026-11-20 00:00:00", "2026-11-20 06:00:00", "2026-11-20 12:00:00", "2026-11-20 18:00:00"}
	for i, w := range want {
		if got := s.Next().Time.Format(time.DateTime); got != w {
			t.Errorf("event %d at %s, want %s", i, got, w)
		}
	}
}

func TestIDKinds(t *testing.T) {
	tests := []struct {
		random bool
		want   uuid.Version
	}{
		{false, 7},
		{true, 4},
	}
	for _, tt := range tests {
		s := New(Options{Seed: 1, PurchaseRatio: 0.3, Products: 10, Users: 10, Sessions: 2, RandomIDs: tt.random}, fixed)
		for range 10 {
			id, err := uuid.Parse(s.Next().ID)
			if err != nil || id.Version() != tt.want {
				t.Fatalf("RandomIDs %v: id %v (%v), want a UUIDv%d", tt.random, id, err, tt.want)
			}
		}
	}
}
