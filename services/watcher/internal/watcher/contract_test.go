package watcher

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/services/watcher/internal/contracttest"
	"github.com/tributary-dev/tributary/shared/datadir"
)

const (
	ordersYAML  = "table: orders\nfiles: \"orders-*.csv\"\nheader: by_name\n"
	refundsYAML = "table: refunds\nfiles: \"*-refund.csv\"\nheader: by_name\n"
	ordersCSV   = "sku,\"qty\"\r\nx,1\r\ny,2\r\n"
)

// withContracts is newWatcher routing by the contracts of dir.
func withContracts(t *testing.T, dir string) (*Watcher, *fakePublisher) {
	t.Helper()
	pub := &fakePublisher{}
	w := newWatcher(t, pub)
	w.contracts = openContracts(t, dir)
	return w, pub
}

func handleLanded(t *testing.T, w *Watcher, name, content string) {
	t.Helper()
	if err := os.WriteFile(w.path(datadir.Input, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	w.handle(context.Background(), claimFile(t, w, name))
}

// Each file goes to the contract its name matches; a by_name file carries
// its header line, as written, for the loader to map.
func TestFilesGoToTheContractTheirNameMatches(t *testing.T) {
	w, pub := withContracts(t, contracttest.Dir(t, map[string]string{"orders.yaml": ordersYAML}))
	handleLanded(t, w, "events-1.csv", goodCSV)
	handleLanded(t, w, "orders-1.csv", ordersCSV)
	if len(pub.files) != 2 || len(pub.rejected) != 0 {
		t.Fatalf("published %+v, rejected %+v", pub.files, pub.rejected)
	}
	events, orders := pub.files[0], pub.files[1]
	if events.Contract != "user_activity" || events.Layout.Columns != "" {
		t.Errorf("events-1.csv published as contract %q with columns %q", events.Contract, events.Layout.Columns)
	}
	if orders.Contract != "orders" || orders.Layout.Columns != `sku,"qty"` || orders.Layout.Rows != 2 {
		t.Errorf("orders-1.csv published as contract %q with columns %q, %d rows", orders.Contract, orders.Layout.Columns, orders.Layout.Rows)
	}
	if got := entries(w.dirs.Path(datadir.Archive)); len(got) != 2 {
		t.Errorf("archive = %v", got)
	}
}

// A name no contract claims, or two claim equally, is rejected as a whole
// with Match's reason, on the default contract's subject (contract "").
func TestNamesWithoutOneContractAreRejected(t *testing.T) {
	dir := t.TempDir()
	contracttest.Write(t, dir, "orders.yaml", ordersYAML)
	contracttest.Write(t, dir, "refunds.yaml", refundsYAML)
	tests := []struct{ name, reason string }{
		{"events-1.csv", `the name matches no contract's files pattern (orders: "orders-*.csv", refunds: "*-refund.csv")`},
		{"orders-refund.csv", `the name matches contracts orders ("orders-*.csv") and refunds ("*-refund.csv") equally; make one pattern more specific`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, pub := withContracts(t, dir)
			handleLanded(t, w, tt.name, ordersCSV)
			if len(pub.files) != 0 || len(pub.rejected) != 1 {
				t.Fatalf("published %+v, rejected %+v", pub.files, pub.rejected)
			}
			if got := pub.rejected[0]; got.Reason != tt.reason || got.FileName != tt.name || got.Entry == "" || pub.rejectedTo[0] != "" {
				t.Errorf("notice %+v to contract %q, want reason %q to contract \"\"", got, pub.rejectedTo[0], tt.reason)
			}
			reason, err := os.ReadFile(w.path(datadir.Rejected, tt.name+datadir.ReasonSuffix))
			if err != nil || string(reason) != tt.reason+"\n" || !exists(w.path(datadir.Rejected, tt.name)) {
				t.Errorf("rejected/ holds %v, reason %q (%v)", entries(w.dirs.Path(datadir.Rejected)), reason, err)
			}
		})
	}
}

// A file refused for what it is goes on its contract's rejected subject.
func TestRejectionsOfAContractAreReportedThere(t *testing.T) {
	w, pub := withContracts(t, contracttest.Dir(t, map[string]string{"orders.yaml": ordersYAML}))
	handleLanded(t, w, "orders-1.csv", "")
	handleLanded(t, w, "orders-2.csv", "sku,sku\nx,y\n")
	handleLanded(t, w, "events-1.csv", "a,b\n1,2\n")
	want := []struct{ contract, reason string }{
		{"orders", "file is empty (0 bytes)"},
		{"orders", `the header (line 1) names column "sku" twice`},
		{"user_activity", `the header (line 1) is "a,b"; want "event_id,event_time,event_type,product_id,price,user_id,session_id"`},
	}
	if len(pub.rejected) != len(want) {
		t.Fatalf("rejected %+v", pub.rejected)
	}
	for i, tt := range want {
		if pub.rejectedTo[i] != tt.contract || pub.rejected[i].Reason != tt.reason {
			t.Errorf("notice %d: %q to %q, want %q to %q", i, pub.rejected[i].Reason, pub.rejectedTo[i], tt.reason, tt.contract)
		}
	}
}

// The contract follows from the name the file landed under: a file a crash
// left claimed, by this watcher (in a slot) or by one that is gone, goes to
// the same contract when it is taken up again.
func TestClaimsTakenUpAfterACrashKeepTheirContract(t *testing.T) {
	dirs := testDirs(t)
	for _, claim := range []string{"w1/.1/orders-1.csv", "w0/orders-2.csv", "w0/.3/events-1.csv"} {
		path := filepath.Join(dirs.Path(datadir.Claimed), claim)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		content := ordersCSV + claim + ",3\r\n"
		if filepath.Base(claim) == "events-1.csv" {
			content = goodCSV
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pub := &fakePublisher{}
	cs := openContracts(t, contracttest.Dir(t, map[string]string{"orders.yaml": ordersYAML}))
	r := startWatcherWith(t, dirs, "w1", cs, pub, time.Now)
	poll(func() bool { return len(entries(dirs.Path(datadir.Archive))) == 3 })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	pub.snapshot(func() {
		for _, f := range pub.files {
			got[f.Name] = f.Contract
		}
	})
	want := map[string]string{"orders-1.csv": "orders", "orders-2.csv": "orders", "events-1.csv": "user_activity"}
	for name, contract := range want {
		if got[name] != contract {
			t.Errorf("%s published as contract %q, want %q (all: %v)", name, got[name], contract, got)
		}
	}
}
