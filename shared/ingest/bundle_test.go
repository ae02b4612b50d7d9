package ingest

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func testEntries() []Entry {
	landed := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var out []Entry
	for i, name := range []string{"a.csv", "b c%.csv", "orders-1.csv"} {
		body := []byte(strings.Repeat("e1,2026-12-07 10:00:00,view,1,1.00,2,s\n", i+1))
		p := Part{FileID: strings.Repeat(string(rune('a'+i)), 64), FileName: name, Index: 1, Count: 1, FirstLine: 2,
			Rows: i + 1, Size: int64(len(body) + 10), LandedAt: landed, From: 0, To: int64(len(body) + 10), Offset: 10}
		if i == 2 {
			p.Contract, p.Columns = "orders", "id,amount"
		}
		out = append(out, Entry{Header: p.Header(), Data: body})
	}
	return out
}

func TestBundleRoundTrip(t *testing.T) {
	entries := testEntries()
	msg, err := Bundle("ingest.data", entries)
	if err != nil {
		t.Fatal(err)
	}
	if !IsBundle(msg.Header) || msg.Header.Get(HeaderBundle) != "3" || msg.Header.Get(HeaderRows) != "6" {
		t.Fatalf("bundle headers = %v, want 3 entries and 6 rows", msg.Header)
	}
	if !strings.HasPrefix(msg.Header.Get(nats.MsgIdHdr), "bundle.") {
		t.Errorf("bundle id = %q", msg.Header.Get(nats.MsgIdHdr))
	}
	got, err := Unbundle(msg.Header, msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(entries) {
		t.Fatalf("%d entries, want %d", len(got), len(entries))
	}
	for i := range entries {
		if !bytes.Equal(got[i].Data, entries[i].Data) {
			t.Errorf("entry %d body = %q, want %q", i, got[i].Data, entries[i].Data)
		}
		want, err := ParsePart(entries[i].Header)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParsePart(got[i].Header)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if p != want || got[i].Header.Get(nats.MsgIdHdr) != want.MsgID() {
			t.Errorf("entry %d = %+v (id %q), want %+v", i, p, got[i].Header.Get(nats.MsgIdHdr), want)
		}
	}
	// An entry's body must not run into the next one's bytes when appended to.
	got[0].Data = append(got[0].Data, 'x')
	if again, _ := Unbundle(msg.Header, msg.Data); !bytes.Equal(again[1].Data, entries[1].Data) {
		t.Error("appending to an entry's body overwrote the next entry")
	}
}

// The bundle's id depends on its entries' ids and their order only: the
// same files bundled again are one message in the duplicate window, other
// company is another message.
func TestBundleIDIsItsEntries(t *testing.T) {
	e := testEntries()
	id := func(entries ...Entry) string {
		msg, err := Bundle("ingest.data", entries)
		if err != nil {
			t.Fatal(err)
		}
		return msg.Header.Get(nats.MsgIdHdr)
	}
	if id(e[0], e[1]) != id(e[0], e[1]) {
		t.Error("the same entries gave two ids")
	}
	if id(e[0], e[1]) == id(e[0], e[2]) || id(e[0], e[1]) == id(e[1], e[0]) {
		t.Error("other entries, or another order, gave the same id")
	}
}

func TestBundleRefuses(t *testing.T) {
	e := testEntries()
	noID := Entry{Header: nats.Header{HeaderRows: []string{"1"}}}
	inner, _ := Bundle("s", e[:2])
	broken := e[0]
	broken.Header = nats.Header{nats.MsgIdHdr: []string{"x"}, "K": []string{"a\r\nb"}}
	for name, entries := range map[string][]Entry{
		"one entry":       e[:1],
		"no message id":   {e[0], noID},
		"nested bundle":   {e[0], {Header: inner.Header, Data: inner.Data}},
		"line break in a": {e[0], broken},
	} {
		if _, err := Bundle("s", entries); err == nil {
			t.Errorf("%s: bundled", name)
		}
	}
}

func TestUnbundleRefusesDamage(t *testing.T) {
	msg, err := Bundle("ingest.data", testEntries())
	if err != nil {
		t.Fatal(err)
	}
	h := func(n string) nats.Header { return nats.Header{HeaderBundle: []string{n}} }
	long := binary.AppendUvarint(nil, 1<<40)
	tests := []struct {
		name   string
		header nats.Header
		data   []byte
		want   string
	}{
		{"count not a number", h("x"), msg.Data, "is not a count"},
		{"count of one", h("1"), msg.Data, "is not a count"},
		{"fewer entries than said", h("4"), msg.Data, "holds 3 entries, its Tributary-Bundle header says 4"},
		{"more entries than said", h("2"), msg.Data, "holds 3 entries"},
		{"truncated", h("3"), msg.Data[:len(msg.Data)-5], "past the bundle's end"},
		{"length past the end", h("2"), append(long, 'x', 'y', 'z', 'w'), "past the bundle's end"},
		{"headers not a block", h("2"), []byte{3, 'a', 'b', 'c', 0, 3, 'a', 'b', 'c', 0}, "headers"},
		{"count beyond the bytes", h("1000"), msg.Data[:100], "cannot hold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unbundle(tt.header, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func FuzzUnbundle(f *testing.F) {
	msg, _ := Bundle("ingest.data", testEntries())
	f.Add(msg.Data, 3)
	f.Add([]byte{}, 2)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		h := nats.Header{HeaderBundle: []string{strconv.Itoa(n)}}
		entries, err := Unbundle(h, data)
		if err != nil {
			return
		}
		if len(entries) != n {
			t.Fatalf("%d entries, header says %d", len(entries), n)
		}
		total := 0
		for _, e := range entries {
			total += len(e.Data)
		}
		if total > len(data) {
			t.Fatalf("bodies of %d bytes from %d bytes", total, len(data))
		}
	})
}

func TestSourceSeqTellsBundledFilesApart(t *testing.T) {
	seen := map[int64]bool{}
	for _, seq := range []uint64{1, 2, 1023, 1024, 1 << 40} {
		for place := 0; place <= MaxBundleEntries; place++ {
			s := SourceSeq(seq, place)
			if seen[s] {
				t.Fatalf("SourceSeq(%d, %d) = %d, given before", seq, place, s)
			}
			seen[s] = true
			if got := StreamSeqOf(s); got != seq {
				t.Fatalf("StreamSeqOf(SourceSeq(%d, %d)) = %d", seq, place, got)
			}
			if place == 0 && s != int64(seq) {
				t.Fatalf("a message alone records %d, not its sequence %d", s, seq)
			}
		}
	}
}
