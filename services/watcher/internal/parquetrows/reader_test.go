package parquetrows

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type typed struct {
	ID       string    `parquet:"id"`
	Small    int32     `parquet:"small,int(8)"`
	Unsigned uint32    `parquet:"unsigned,uint(32)"`
	Big      int64     `parquet:"big"`
	Flag     bool      `parquet:"flag"`
	Ratio    float64   `parquet:"ratio"`
	Note     *string   `parquet:"note,optional"`
	Price    int64     `parquet:"price,decimal(2:10)"`
	Tiny     int32     `parquet:"tiny,decimal(4:9)"`
	Day      int32     `parquet:"day,date"`
	At       int64     `parquet:"at,timestamp(millisecond:utc)"`
	Local    int64     `parquet:"local,timestamp(nanosecond:local)"`
	Key      [16]byte  `parquet:"key,uuid"`
	Doc      string    `parquet:"doc,json"`
	Kind     string    `parquet:"kind,enum"`
	Raw      []float32 `parquet:"-"`
}

func write[T any](t *testing.T, rows []T, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var b bytes.Buffer
	w := parquet.NewGenericWriter[T](&b, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func lines(t *testing.T, file []byte) ([]string, []int) {
	t.Helper()
	r, err := Open(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	var groups []int
	for i := int64(0); ; i++ {
		line, row, group, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, groups
		}
		if err != nil {
			t.Fatal(err)
		}
		if row != i {
			t.Fatalf("row %d came as %d", i, row)
		}
		out, groups = append(out, string(line)), append(groups, group)
	}
}

// Every logical type is written exactly: decimals from their unscaled
// integer, timestamps with their unit and, for an instant, "Z", strings
// escaped but not altered (invalid UTF-8 stays, for the loader to name).
func TestRowsAreWrittenExactly(t *testing.T) {
	note := "tab\there \"q\" \xff"
	file := write(t, []typed{
		{ID: "a", Small: -128, Unsigned: 4294967295, Big: -9223372036854775808, Flag: true, Ratio: 0.1, Note: &note,
			Price: -1234567, Tiny: 5, Day: -1, At: 1764201600123, Local: 1764201600123456789,
			Key: [16]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8}, Doc: "{\"a\": [1,\n 2]}", Kind: "x"},
		{ID: "b", Price: 99999999, Doc: "not json\n", Day: 20000},
	})
	got, _ := lines(t, file)
	want := []string{
		`{"id":"a","small":-128,"unsigned":4294967295,"big":-9223372036854775808,"flag":true,"ratio":0.1,"note":"tab\u0009here \"q\" ` + "\xff" + `",` +
			`"price":-12345.67,"tiny":0.0005,"day":"1969-12-31","at":"2025-11-27 00:00:00.123Z","local":"2025-11-27 00:00:00.123456789",` +
			`"key":"12345678-9abc-def0-0102-030405060708","doc":{"a":[1,2]},"kind":"x"}` + "\n",
		`{"id":"b","small":0,"unsigned":0,"big":0,"flag":false,"ratio":0,"note":null,"price":999999.99,"tiny":0.0000,"day":"2024-10-04",` +
			`"at":"1970-01-01 00:00:00Z","local":"1970-01-01 00:00:00","key":"00000000-0000-0000-0000-000000000000","doc":"not json\u000a","kind":""}` + "\n",
	}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Errorf("row %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}

type nested struct {
	ID   string   `parquet:"id"`
	Tags []string `parquet:"tags"`
	Blob []byte   `parquet:"blob"`
	At   struct {
		X int32 `parquet:"x"`
	} `parquet:"at"`
}

func TestShapesContractsDoNotLoadAreRefused(t *testing.T) {
	file := write(t, []nested{{ID: "a"}})
	_, err := Open(bytes.NewReader(file), int64(len(file)))
	var re *RejectError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a rejection", err)
	}
	for _, want := range []string{`column "tags" is repeated (a list)`, `column "blob" is binary (BYTE_ARRAY without a STRING, UUID, DECIMAL or JSON annotation)`,
		`column "at" is a group (a struct or a map)`} {
		if !strings.Contains(re.Reason, want) {
			t.Errorf("reason %q lacks %q", re.Reason, want)
		}
	}
}

func TestDamagedFilesAreRefused(t *testing.T) {
	good := write(t, []typed{{ID: "a"}, {ID: "b"}})
	for name, file := range map[string][]byte{
		"cut short":         good[:len(good)/2],
		"footer damaged":    append(bytes.Clone(good[:len(good)-12]), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1', 0, 0, 0, 0)[:len(good)],
		"pages overwritten": func() []byte { b := bytes.Clone(good); copy(b[4:], bytes.Repeat([]byte{0xee}, 64)); return b }(),
	} {
		r, err := Open(bytes.NewReader(file), int64(len(file)))
		for err == nil {
			_, _, _, err = r.Next()
		}
		var re *RejectError
		if !errors.As(err, &re) {
			t.Errorf("%s: err = %v, want a rejection", name, err)
		}
	}
}

type row struct {
	ID string `parquet:"id"`
	N  int64  `parquet:"n"`
}

func TestRowGroupsAndBodies(t *testing.T) {
	rows := make([]row, 250)
	for i := range rows {
		rows[i] = row{ID: strings.Repeat("x", i%5), N: int64(i)}
	}
	file := write(t, rows, parquet.MaxRowsPerRowGroup(100))
	got, groups := lines(t, file)
	if len(got) != 250 || groups[0] != 0 || groups[99] != 0 || groups[100] != 1 || groups[249] != 2 {
		t.Fatalf("%d rows, groups %v...", len(got), groups[:3])
	}
	r, err := Open(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	b := NewBodies(r)
	body := make([]byte, len(got[10])+len(got[11]))
	if n, err := b.ReadAt(body, 10); err != nil || n != len(body) || string(body) != got[10]+got[11] {
		t.Fatalf("rows 10-11 = %q, %v", body[:n], err)
	}
	cut := make([]byte, 5)
	if _, err := b.ReadAt(cut, 200); err != nil || string(cut) != got[200][:5] {
		t.Fatalf("row 200 cut = %q, %v", cut, err)
	}
	if _, err := b.ReadAt(body, 150); err == nil {
		t.Error("reading back succeeded")
	}
}

// A footer length past the file, or past MaxMetadata, is refused before
// the library would allocate it.
func TestFooterLengthIsBounded(t *testing.T) {
	good := write(t, []typed{{ID: "a"}})
	for _, n := range []uint32{uint32(len(good)), MaxMetadata + 1} {
		file := append(bytes.Clone(good[:len(good)-8]), byte(n), byte(n>>8), byte(n>>16), byte(n>>24), 'P', 'A', 'R', '1')
		_, err := Open(bytes.NewReader(file), int64(len(file)))
		var re *RejectError
		if !errors.As(err, &re) || !strings.Contains(re.Reason, "more than the file holds or than the 16777216 the watcher reads") {
			t.Errorf("footer of %d bytes: %v", n, err)
		}
	}
}

// A footer declaring more list elements than it holds is refused before
// the library would allocate them (here two billion row groups in 12
// bytes).
func TestHostileFooterIsRefused(t *testing.T) {
	footer := []byte{
		0x15, 0x02, // field 1, i32: version 1
		0x49, 0xf0, 0xff, 0xff, 0xff, 0xff, 0x07, // field 4 (delta 3), list of unknown type 0 with 2^31-1 elements
		0x00,
	}
	footer[3] = 0xfc // list of structs, size in a varint
	file := append([]byte("PAR1"), footer...)
	file = binary.LittleEndian.AppendUint32(file, uint32(len(footer)))
	file = append(file, "PAR1"...)
	_, err := Open(bytes.NewReader(file), int64(len(file)))
	var re *RejectError
	if !errors.As(err, &re) || !strings.Contains(re.Reason, "Parquet metadata is damaged: it declares 2147483647 elements in") {
		t.Fatalf("err = %v", err)
	}
	deep := append([]byte{0x1c}, bytes.Repeat([]byte{0x1c}, 100)...) // structs in structs
	if err := checkFooter(deep); err == nil || !strings.Contains(err.Error(), "nests deeper than 64") {
		t.Errorf("deep footer: %v", err)
	}
}
