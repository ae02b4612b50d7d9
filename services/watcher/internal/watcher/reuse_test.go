package watcher

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// Issue 10, case 1: names repeat upstream (a generator restarting its
// numbering lands events_1.csv again). While the stream refuses publishes,
// land events_1.csv three times with other rows each time: once publishes
// succeed, all three contents are published, each once. The stream either
// refuses and the publish is retried on the next rescan ("refused"), or the
// publisher keeps retrying inside its worker ("held", what the real one
// does on a full stream).
func TestReusedNameUnderBackpressureLosesNothing(t *testing.T) {
	for _, mode := range []string{"refused", "held"} {
		t.Run(mode, func(t *testing.T) {
			dirs := testDirs(t)
			pub := &fakePublisher{}
			if mode == "refused" {
				pub.fail = errors.New("nats: maximum bytes exceeded")
			} else {
				pub.hold = make(chan struct{})
			}
			r := startWatcher(t, dirs, "w1", pub, time.Now)
			input := filepath.Join(dirs.Path(datadir.Input), "events_1.csv")
			var contents []string
			for i := range 3 {
				content := rowsHeader + fmt.Sprintf("e%d,2026-01-01 00:00:00,view,1,1.00,1,s\n", i)
				contents = append(contents, content)
				land(t, dirs, "events_1.csv", content)
				// Claimed, and for the first its publish refused or held.
				// Not asserted here: the outcome below says what was lost.
				if !poll(func() bool {
					tried := true
					if i == 0 {
						pub.snapshot(func() { tried = slices.Contains(pub.tried, content) })
					}
					return !exists(input) && tried
				}) {
					t.Logf("landing %d of events_1.csv is still in input/", i+1)
				}
			}

			pub.snapshot(func() {
				pub.fail = nil
				if pub.hold != nil {
					close(pub.hold)
				}
			})
			claimDir := filepath.Join(dirs.Path(datadir.Claimed), "w1")
			poll(func() bool {
				return len(entries(dirs.Path(datadir.Archive))) == 3 && len(entries(claimDir)) == 0
			})
			if err := r.stop(); err != nil {
				t.Fatal(err)
			}

			var bodies []string
			pub.snapshot(func() {
				bodies = slices.Clone(pub.bodies)
				for _, f := range pub.files {
					if f.Name != "events_1.csv" {
						t.Errorf("published as %q, want the name it landed under", f.Name)
					}
				}
			})
			for i, c := range contents {
				if n := count(bodies, c); n != 1 {
					t.Errorf("landing %d of events_1.csv published %d times, want once", i+1, n)
				}
			}
			if got := entries(dirs.Path(datadir.Archive)); len(got) != 3 {
				t.Errorf("archive = %v, want the three files", got)
			}
			if left := entries(claimDir); len(left) != 0 {
				t.Errorf("left in the claim directory: %v", left)
			}
		})
	}
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
