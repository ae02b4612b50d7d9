package decode

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/klauspost/compress/zstd"
)

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zst(t testing.TB, s string, opts ...zstd.EOption) []byte {
	t.Helper()
	w, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return w.EncodeAll([]byte(s), nil)
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name, head string
		want       Encoding
		err        string
	}{
		{name: "a.csv", head: "even", want: Plain},
		{name: "a.csv.gz", head: "\x1f\x8b\x08\x00", want: Gzip},
		{name: "a.csv", head: "\x1f\x8b\x08\x00", want: Gzip}, // the content decides
		{name: "a", head: "\x28\xb5\x2f\xfd", want: Zstd},
		{name: "a.ZST", head: "\x28\xb5\x2f\xfd", want: Zstd},
		{name: "a.parquet", head: "PAR1", want: Parquet},
		{name: "", head: "", want: Plain},
		{name: "a.csv.gz", head: "even", err: "is named .gz, but its content is not gzip (gzip starts with 1f 8b; the file starts with 65 76 65 6e)"},
		{name: "a.csv.zst", head: "\x1f\x8b\x08\x00", err: "is named .zst, but its content is gzip"},
		{name: "a.parquet", head: "PAR", err: "is named .parquet, but its content is not parquet"},
	}
	for _, tt := range tests {
		got, err := Detect([]byte(tt.head), tt.name)
		var re *RejectError
		switch {
		case tt.err != "":
			if !errors.As(err, &re) || !strings.Contains(re.Reason, tt.err) {
				t.Errorf("Detect(%q, %q) = %v, want a rejection %q", tt.head, tt.name, err, tt.err)
			}
		case err != nil || got != tt.want:
			t.Errorf("Detect(%q, %q) = %q, %v; want %q", tt.head, tt.name, got, err, tt.want)
		}
	}
}

func TestReaderRoundTrips(t *testing.T) {
	text := strings.Repeat("a,b,c\n", 100000)
	for _, tt := range []struct {
		enc Encoding
		raw []byte
	}{
		{Gzip, gz(t, text)},
		{Gzip, append(gz(t, text[:1000]), gz(t, text[1000:])...)}, // members, as pigz and cat write them
		{Zstd, zst(t, text)},
		{Zstd, append(zst(t, text[:1000]), zst(t, text[1000:])...)},
	} {
		d, err := NewPool(1).NewReader(tt.enc, bytes.NewReader(tt.raw), int64(len(text)), "LIMIT")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(d)
		if err != nil || string(got) != text {
			t.Errorf("%s: read %d bytes, %v; want the text", tt.enc, len(got), err)
		}
		d.Close()
	}
}

func TestReaderRefusesDamage(t *testing.T) {
	text := strings.Repeat("event,1,2.50\n", 5000)
	g, z := gz(t, text), zst(t, text)
	flip := func(b []byte, at int) []byte {
		c := bytes.Clone(b)
		c[at] ^= 0x40
		return c
	}
	tests := []struct {
		name string
		enc  Encoding
		raw  []byte
		max  int64
		want string
	}{
		{"gzip truncated", Gzip, g[:len(g)/2], 1 << 20, "gzip stream is truncated"},
		{"gzip trailer cut", Gzip, g[:len(g)-4], 1 << 20, "gzip stream is truncated"},
		{"gzip crc wrong", Gzip, flip(g, len(g)-6), 1 << 20, "gzip stream is corrupt after 65000 decompressed bytes (gzip: invalid checksum)"},
		{"gzip body flipped", Gzip, flip(g, len(g)/2), 1 << 20, "gzip stream is corrupt"},
		{"gzip garbage after", Gzip, append(bytes.Clone(g), "this is not gzip"...), 1 << 20, "gzip stream is corrupt after 65000 decompressed bytes (gzip: invalid header)"},
		{"gzip bomb", Gzip, g, 1000, "gzip content expands to more than 1000 bytes (LIMIT)"},
		{"zstd truncated", Zstd, z[:len(z)/2], 1 << 20, "zstd stream is truncated"},
		{"zstd checksum wrong", Zstd, flip(z, len(z)-1), 1 << 20, "zstd stream is corrupt"},
		{"zstd bomb", Zstd, z, 1000, "zstd content expands to more than 1000 bytes (LIMIT)"},
		{"zstd long window", Zstd, zst(t, strings.Repeat("x", 20<<20), zstd.WithWindowSize(64<<20), zstd.WithSingleSegment(false)), 1 << 30, "needs a window larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			d, err := NewPool(1).NewReader(tt.enc, bytes.NewReader(tt.raw), tt.max, "LIMIT")
			if err == nil {
				_, err = io.Copy(io.Discard, d)
				d.Close()
			}
			var re *RejectError
			if !errors.As(err, &re) || !strings.Contains(re.Reason, tt.want) {
				t.Fatalf("err = %v, want a rejection containing %q", err, tt.want)
			}
		})
	}
}

// A failing disk is worth a retry, not a verdict on the file.
func TestReaderPassesReadErrorsOn(t *testing.T) {
	g := gz(t, strings.Repeat("x", 100000))
	boom := errors.New("disk on fire")
	r := io.MultiReader(bytes.NewReader(g[:100]), iotest.ErrReader(boom))
	d, err := NewPool(1).NewReader(Gzip, r, 1<<20, "LIMIT")
	if err == nil {
		_, err = io.Copy(io.Discard, d)
	}
	var re *RejectError
	if !errors.Is(err, boom) || errors.As(err, &re) {
		t.Fatalf("err = %v, want the read error, not a rejection", err)
	}
}

func TestSequentialReadsForwardOnly(t *testing.T) {
	s := NewSequential(strings.NewReader("0123456789"))
	p := make([]byte, 3)
	if n, err := s.ReadAt(p, 2); n != 3 || err != nil || string(p) != "234" {
		t.Fatalf("ReadAt(2) = %d, %v, %q", n, err, p)
	}
	if n, err := s.ReadAt(p, 7); n != 3 || err != nil || string(p) != "789" {
		t.Fatalf("ReadAt(7) = %d, %v, %q", n, err, p)
	}
	if _, err := s.ReadAt(p, 1); err == nil {
		t.Fatal("reading backwards succeeded")
	}
}

// The pool lends at most its size of decoders: a second stream waits
// until the first is closed, then reuses its decoder.
func TestPoolBoundsDecoders(t *testing.T) {
	z := zst(t, "a,b\n1,2\n")
	p := NewPool(1)
	first, err := p.NewReader(Zstd, bytes.NewReader(z), 1<<20, "LIMIT")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *Reader)
	go func() {
		r, err := p.NewReader(Zstd, bytes.NewReader(z), 1<<20, "LIMIT")
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	select {
	case <-got:
		t.Fatal("a second decoder was lent while the first was in use")
	case <-time.After(50 * time.Millisecond):
	}
	lent := first.dec
	first.Close()
	first.Close() // twice is once
	second := <-got
	if second.dec != lent {
		t.Error("the second stream did not reuse the first's decoder")
	}
	if b, err := io.ReadAll(second); err != nil || string(b) != "a,b\n1,2\n" {
		t.Errorf("reused decoder read %q, %v", b, err)
	}
	second.Close()
}
