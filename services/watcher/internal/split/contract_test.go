package split

import (
	"errors"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/shared/contracts"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// The user_activity reasons are the ones the watcher gave before contracts
// were declared, byte for byte: operators and rejected_files hold them.
func TestUserActivityRejectReasonsAreUnchanged(t *testing.T) {
	const want = `"event_id,event_time,event_type,product_id,price,user_id,session_id"`
	tests := []struct{ give, want string }{
		{"a,b\n" + row(1) + "\n", `the header (line 1) is "a,b"; want ` + want},
		{"\n\n" + strings.Repeat("x", 70000) + "\n" + row(1) + "\n", `the first row (line 3) is longer than 65536 bytes; want the header ` + want},
		{"event_\"id\"\n" + row(1), `the header (line 1) is not valid CSV: parse error on line 1, column 7: bare " in non-quoted-field`},
	}
	for _, tt := range tests {
		_, err := inspect(tt.give, 1<<20)
		var re *RejectError
		if !errors.As(err, &re) || re.Reason != tt.want {
			t.Errorf("Inspect(%.20q...) = %v,\n want %s", tt.give, err, tt.want)
		}
	}
}

func byName(t *testing.T) *contracts.Declaration {
	t.Helper()
	d, err := contracts.Parse("orders", []byte("table: orders\nfiles: \"orders-*.csv\"\nheader: by_name\n"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Under header: by_name the header line travels with every part, as
// written: the loader maps its names to the table's columns.
func TestByNameHeaderIsCarriedAsWritten(t *testing.T) {
	d := byName(t)
	for _, eol := range []string{"\n", "\r\n"} {
		head := `qty,"order id",sku`
		s := "\xef\xbb\xbf" + head + eol + "1,a,x" + eol + "2,b,y" + eol + "3,c,z" + eol
		got, err := inspectAs(d, s, 1<<20)
		if err != nil {
			t.Fatalf("eol %q: %v", eol, err)
		}
		if got.Columns != head || got.Rows != 3 {
			t.Errorf("eol %q: columns %q, rows %d; want %q and 3", eol, got.Columns, got.Rows, head)
		}
	}
	exact, err := inspect(file(2, "\n"), 1<<20)
	if err != nil || exact.Columns != "" {
		t.Errorf("an exact header is carried: %q, %v", exact.Columns, err)
	}
}

func TestByNameHeaderRejects(t *testing.T) {
	d := byName(t)
	tests := []struct{ give, want string }{
		{"a,a\n1,2\n", `the header (line 1) names column "a" twice`},
		{"a,,b\n1,2,3\n", "the header (line 1) column 2 has no name"},
		{strings.Repeat("x", 70000) + "\n1\n", "the first row (line 1) is longer than 65536 bytes; want a header line naming the columns"},
		{strings.Repeat("é", 6000) + "\n1\n", "the header (line 1) takes 36021 bytes as a message header"},
	}
	for _, tt := range tests {
		_, err := inspectAs(d, tt.give, 1<<16)
		var re *RejectError
		if !errors.As(err, &re) || !strings.HasPrefix(re.Reason, tt.want) {
			t.Errorf("Inspect(%.20q...) = %v, want %q", tt.give, err, tt.want)
		}
	}
}

// The header line rides in every part's headers, which count against the
// server's max_payload with the body: the bodies shrink to leave it room.
func TestByNamePartsLeaveRoomForTheirColumns(t *testing.T) {
	d := byName(t)
	head := strings.Repeat("column_name_", 40) + "x"
	var b strings.Builder
	b.WriteString(head + "\n")
	for range 100 {
		b.WriteString(strings.Repeat("v", 40) + "\n")
	}
	const maxPart = 4096
	got, err := inspectAs(d, b.String(), maxPart)
	if err != nil {
		t.Fatal(err)
	}
	room := int64(len(ingest.HeaderColumns) + len(": \r\n") + len(ingest.EncodeName(head)))
	for i, p := range got.Parts {
		if p.Length+room > maxPart {
			t.Errorf("part %d: body %d bytes and columns %d exceed %d", i, p.Length, room, maxPart)
		}
	}
	if len(got.Parts) < 2 {
		t.Errorf("%d parts; want the rows cut to leave the header room", len(got.Parts))
	}
}
