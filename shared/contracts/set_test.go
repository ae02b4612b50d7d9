package contracts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeContracts(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const ordersYAML = "table: orders\nfiles: \"orders-*.csv\"\nheader: by_name\n"

func TestLoadRefusesEachBadDeclarationAlone(t *testing.T) {
	dir := writeContracts(t, map[string]string{
		"orders.yaml":     ordersYAML,
		"typo.yaml":       "table: t\nfiles: \"*\"\nheader: by_name\nunknown_colums: ignore\n",
		"nofiles.yaml":    "table: t\nheader: exact\ncolumns: [a]\n",
		"Bad-Name.yaml":   ordersYAML,
		"notes.txt":       "not a contract",
		"exactnone.yaml":  "table: t\nfiles: x\nheader: exact\n",
		"badzone.yaml":    "table: t\nfiles: x\nheader: by_name\ntime_zone: Mars/Olympus\n",
		"badglob.yaml":    "table: t\nfiles: \"[\"\nheader: by_name\n",
		"twice.yaml":      "table: t\nfiles: x\nheader: exact\ncolumns: [a, a]\n",
		"seqcolumn.yaml":  "table: t\nfiles: x\nheader: exact\nsequence_column: a\ncolumns: [a]\n",
		"badpolicy.yaml":  "table: t\nfiles: x\nheader: loose\n",
		"badunknown.yaml": "table: t\nfiles: x\nheader: by_name\nunknown_columns: keep\n",
	})
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Declared) != 1 || s.Declared[0].Name != "orders" || s.Declared[0].UnknownColumns != UnknownReject {
		t.Fatalf("declared %+v, want orders alone with unknown_columns reject", s.Declared)
	}
	want := map[string]string{
		"typo":       "field unknown_colums not found",
		"nofiles":    "files is not set",
		"Bad-Name":   `name "Bad-Name"`,
		"exactnone":  "header is exact but no columns are listed",
		"badzone":    `time_zone "Mars/Olympus"`,
		"badglob":    "is not a valid glob",
		"twice":      `column "a" is listed twice`,
		"seqcolumn":  "is the sequence_column",
		"badpolicy":  `header "loose": want exact or by_name`,
		"badunknown": `unknown_columns "keep"`,
	}
	for name, part := range want {
		if err := s.Refused[name]; err == nil || !strings.Contains(err.Error(), part) || !strings.HasPrefix(err.Error(), "contract "+name+": ") {
			t.Errorf("%s: refused with %v, want a message naming it and containing %q", name, err, part)
		}
	}
	if len(s.Refused) != len(want) {
		t.Errorf("refused %v", s.Refused)
	}
}

func TestMatchPrefersTheMostSpecificPattern(t *testing.T) {
	s, err := Load(writeContracts(t, map[string]string{
		"user_activity.yaml": "table: user_activity\nfiles: \"*\"\nheader: exact\ncolumns: [a]\n",
		"orders.yaml":        ordersYAML,
		"returns.yaml":       "table: r\nfiles: \"*-returns.csv\"\nheader: by_name\n",
		"refunds.yaml":       "table: r\nfiles: \"*-refund?.csv\"\nheader: by_name\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ give, want, err string }{
		{give: "events-1.csv", want: "user_activity"},
		{give: "orders-1.csv", want: "orders"},
		{give: "orders-1.csv.gz", want: "orders"},
		{give: "orders-1.csv.ZST", want: "orders"},
		{give: "orders-1.csv.bz2", want: "user_activity"},
		{give: "orders.csv", want: "user_activity"},
		{give: "x-returns.csv", want: "returns"},
		{give: "orders-returns.csv", want: "returns"},
		{give: "orders-refunds.csv", err: "equally; make one pattern more specific"},
	}
	for _, tt := range tests {
		d, err := s.Match(tt.give)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Match(%q) = %v, %v; want error %q", tt.give, d, err, tt.err)
			}
		case err != nil || d.Name != tt.want:
			t.Errorf("Match(%q) = %v, %v; want %s", tt.give, d, err, tt.want)
		}
	}
	none, _ := Load(writeContracts(t, map[string]string{"orders.yaml": ordersYAML}))
	if _, err := none.Match("events.csv"); err == nil || !strings.Contains(err.Error(), `matches no contract's files pattern (orders: "orders-*.csv")`) {
		t.Errorf("no match: %v", err)
	}
}

func TestCheckHeader(t *testing.T) {
	exact, err := Parse("u", []byte("table: u\nfiles: x\nheader: exact\ncolumns: [a, {name: b, one_of: [x]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	byName, err := Parse("o", []byte(ordersYAML))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		d    *Declaration
		give []string
		err  string
	}{
		{d: exact, give: []string{"a", "b"}},
		{d: exact, give: []string{"b", "a"}, err: `is "b,a"; want "a,b"`},
		{d: byName, give: []string{"b", "a"}},
		{d: byName, give: []string{"a", ""}, err: "column 2 has no name"},
		{d: byName, give: []string{"a", "a"}, err: `names column "a" twice`},
		{d: byName, give: []string{"a\xff"}, err: "is not valid text"},
	}
	for _, tt := range tests {
		err := tt.d.CheckHeader(tt.give)
		if (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s.CheckHeader(%q) = %v, want %q", tt.d.Name, tt.give, err, tt.err)
		}
	}
}

func TestRepositoryContractsAreValid(t *testing.T) {
	s, err := Load(filepath.Join("..", "..", "contracts"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Refused) > 0 {
		t.Fatalf("refused: %v", s.Refused)
	}
	ua, ok := s.Get("user_activity")
	if !ok || ua.HeaderLine() != "event_id,event_time,event_type,product_id,price,user_id,session_id" {
		t.Fatalf("user_activity: %+v", ua)
	}
}
