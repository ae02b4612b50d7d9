package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/services/loader/internal/store"
)

// The dedupe rule of user_activity, partitioned by day of event_time:
// an event is its id and its time. A copy with the same id and the same
// time (however the time is written) is a duplicate, rejected with the
// name of the file that loaded the first copy, in the same batch or a
// later one; a copy with the same id and another time is another event,
// loaded, whether its time falls in the same day's partition or another.
func TestDuplicatesAreTheSameIDAtTheSameTime(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	var day time.Time
	if err := pool.QueryRow(ctx, "SELECT (now() AT TIME ZONE 'UTC')::date").Scan(&day); err != nil {
		t.Fatal(err)
	}
	at := func(d int, clock string) string { return day.AddDate(0, 0, d).Format(time.DateOnly) + " " + clock }
	row := func(id, when string, cents int) string {
		return fmt.Sprintf("%s,%s,purchase,1,%d.%02d,7,s\n", id, when, cents/100, cents%100)
	}
	first := fileAt("first.csv", 1, row("e1", at(0, "10:00:00"), 100))
	if _, err := s.Apply(ctx, []store.Message{first}); err != nil {
		t.Fatal(err)
	}
	today10 := at(0, "10:00:00")
	tomorrow := at(1, "10:00:00")
	// One batch of two files: the same id and time twice (once written with
	// a T and microseconds), the same id later that day, and on the next
	// day (another partition), which the second file repeats.
	again := fileAt("again.csv", 2, row("e1", today10, 200)+
		row("e1", day.Format(time.DateOnly)+"T10:00:00.000000", 300)+
		row("e1", at(0, "10:00:01"), 400)+
		row("e1", tomorrow, 500))
	later := fileAt("later.csv", 3, row("e1", tomorrow, 600)+row("e2", tomorrow, 700))
	out, err := s.Apply(ctx, []store.Message{again, later})
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != (store.Outcome{Applied: true, Loaded: 2, Rejected: 2}) || out[1] != (store.Outcome{Applied: true, Loaded: 1, Rejected: 1}) {
		t.Fatalf("outcomes = %+v", out)
	}
	type reject struct {
		line   int
		column string
		reason string
	}
	wantRejects := map[string][]reject{
		"again.csv": {
			{2, "event_id,event_time", `(event_id, event_time) ("e1", "` + today10 + `") is already loaded from "first.csv"; the first copy loaded wins`},
			{3, "event_id,event_time", `(event_id, event_time) ("e1", "` + day.Format(time.DateOnly) + `T10:00:00.000000") is already loaded from "first.csv"; the first copy loaded wins`},
		},
		"later.csv": {
			{2, "event_id,event_time", `(event_id, event_time) ("e1", "` + tomorrow + `") is already loaded from "again.csv"; the first copy loaded wins`},
		},
	}
	for file, want := range wantRejects {
		got := refusals(t, pool, file)
		if len(got) != len(want) {
			t.Errorf("%s: rejects %+v, want %+v", file, got, want)
			continue
		}
		for i, w := range want {
			if got[i].line != w.line || got[i].column != w.column || got[i].reason != w.reason {
				t.Errorf("%s: reject %+v, want %+v", file, got[i], w)
			}
		}
	}
	// The first copy of each (id, time) stayed, each in its day's partition.
	rows, err := pool.Query(ctx, `SELECT event_time::text, price::text, tableoid::regclass::text FROM user_activity WHERE event_id = 'e1' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var when, price, partition string
		if err := rows.Scan(&when, &price, &partition); err != nil {
			t.Fatal(err)
		}
		got = append(got, when+" "+price+" "+partition)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	name := func(d int) string { return "user_activity_" + day.AddDate(0, 0, d).Format("20060102") }
	want := []string{today10 + " 1.00 " + name(0), at(0, "10:00:01") + " 4.00 " + name(0), tomorrow + " 5.00 " + name(1)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("e1's rows:\n%q\nwant\n%q", got, want)
	}
}
