package decode

import (
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// MaxZstdWindow is the largest zstd window decoded: it is memory held for
// the whole stream. zstd's levels 1 to 19 stay within 8 MiB; --long and
// --ultra levels need more and are refused with the reason.
const MaxZstdWindow = 8 << 20

// Reader decompresses a gzip or zstd stream. It reads to the stream's end
// and checks it there (gzip's CRC-32 and length, zstd's frame checksums):
// a damaged or truncated stream, or one that expands past its limit, is a
// *RejectError from Read, never a silent end. An error of the underlying
// reader (the disk) is returned as it is, to be retried.
type Reader struct {
	enc     Encoding
	src     *sourceReader
	dec     io.Reader
	close   func()
	n, max  int64
	limited string // the setting that bounds max, for the reason
}

// sourceReader remembers an error of the reader beneath the decompressor,
// so that a disk error is not taken for a damaged stream.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}

// NewReader decompresses r, a stream of encoding enc, refusing to expand
// it past max bytes; setting names what bounds max, for the reason. A zstd
// stream's decoder comes from the pool, to which Close returns it.
func (p *Pool) NewReader(enc Encoding, r io.Reader, max int64, setting string) (*Reader, error) {
	d := &Reader{enc: enc, src: &sourceReader{r: r}, max: max, limited: setting}
	switch enc {
	case Gzip:
		// klauspost's inflate, twice the standard library's speed on CSV
		// (BenchmarkGunzip: 422 against 209 MB/s), the same checks.
		z, err := gzip.NewReader(d.src)
		if err != nil {
			return nil, d.translate(err)
		}
		d.dec, d.close = z, func() { _ = z.Close() }
	case Zstd:
		z, err := p.zstd(d.src)
		if err != nil {
			return nil, d.translate(err)
		}
		d.dec, d.close = z, func() { p.put(z) }
	default:
		return nil, fmt.Errorf("decode: %q is not a compression", enc)
	}
	return d, nil
}

// Read reads decompressed bytes.
func (d *Reader) Read(p []byte) (int, error) {
	if room := d.max - d.n + 1; int64(len(p)) > room {
		p = p[:room] // one byte past the limit tells it was passed
	}
	n, err := d.dec.Read(p)
	d.n += int64(n)
	if d.n > d.max {
		return 0, d.bomb()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, d.translate(err)
	}
	return n, err
}

// Decoded is how many bytes have been decompressed so far.
func (d *Reader) Decoded() int64 { return d.n }

// Close releases the decompressor (a zstd decoder to its pool), once.
func (d *Reader) Close() error {
	if d.close != nil {
		d.close()
		d.close = nil
	}
	return nil
}

// translate tells a damaged stream (a *RejectError) from a failed read.
func (d *Reader) translate(err error) error {
	if d.src.err != nil {
		return fmt.Errorf("read: %w", d.src.err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return reject("%s stream is truncated: it ends before its end marker, at %d decompressed bytes; nothing of the file is loaded", d.enc, d.n)
	}
	if errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return reject("zstd stream needs a window larger than %d bytes (written with --long or --ultra?); the watcher decodes at most that", MaxZstdWindow)
	}
	return reject("%s stream is corrupt after %d decompressed bytes (%v); nothing of the file is loaded", d.enc, d.n, err)
}

func (d *Reader) bomb() error {
	return reject("%s content expands to more than %d bytes (%s): refused, as a decompression bomb would be", d.enc, d.max, d.limited)
}
