package decode

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// csvLike is CSV that compresses as the generator's does.
func csvLike(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%08x-1c2d-4e5f-8a9b-%012x,2026-11-26 10:%02d:%02d.%06d,view,%d,%d.%02d,%d,sess-%d\n", i*2654435761, i*40503, i%60, i%59, i%999983, i%5000, i%1000, i%100, i%10000, i%7919)
	}
	return b.Bytes()
}

// BenchmarkGunzip compares the standard library's inflate with
// klauspost's on the same 32 MB of CSV.
func BenchmarkGunzip(b *testing.B) {
	text := csvLike(32 << 20)
	gz := gz(b, string(text))
	for _, impl := range []struct {
		name string
		open func(io.Reader) (io.Reader, error)
	}{
		{"stdlib", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
		{"klauspost", func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) }},
	} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				r, err := impl.open(bytes.NewReader(gz))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkZstd is the zstd decoder as the watcher configures it.
func BenchmarkZstd(b *testing.B) {
	text := csvLike(32 << 20)
	z := zst(b, string(text))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		d, err := NewPool(1).NewReader(Zstd, bytes.NewReader(z), 1<<30, "LIMIT")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, d); err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
}
