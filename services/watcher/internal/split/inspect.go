package split

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/tributary-dev/tributary/services/watcher/internal/decode"
	"github.com/tributary-dev/tributary/shared/contracts"
)

// Span is a row-aligned piece of a file's data rows, sent as one message.
type Span struct {
	Offset    int64 // byte offset in the file
	Length    int64
	FirstLine int // file line of the span's first byte
	Rows      int
	// From and To bound the span's range: the bytes whose rows it holds,
	// its identity (see ingest.Part). Offset and Length lie inside it.
	From, To int64
	// Oversized marks a span of one row larger than a message: it is sent
	// as a reject (its first bytes and its size), not as rows.
	Oversized bool
}

// Layout is what Inspect learned about a readable file.
type Layout struct {
	FileID string // hex SHA-256 of the whole file, as landed
	Size   int64  // bytes of its content: decompressed, if it was compressed
	Rows   int
	Parts  []Span
	// Columns is the header line, as written without its line ending,
	// when the contract maps columns by name; empty under an exact header.
	Columns string
	// Encoding is the file's compression; Size and the parts' ranges are
	// then of its decompressed content.
	Encoding decode.Encoding
	// Format is how the content is written: CSV or NDJSON. An NDJSON
	// file's Columns are its objects' keys, as a header line.
	Format string
}

// keysRoom is what an NDJSON part sets aside for its file's keys in its
// headers: a sixteenth of a message, at most 16 KiB.
func keysRoom(maxPart int64) int64 { return min(maxPart/16, 16<<10) }

// RejectError means the file cannot be read as its contract at all. Its
// reason is meant for a person.
type RejectError struct{ Reason string }

func (e *RejectError) Error() string { return e.Reason }

func reject(format string, args ...any) error {
	return &RejectError{Reason: fmt.Sprintf(format, args...)}
}

// ErrChanged means the file's size changed while it was read: someone is
// still writing it in place.
var ErrChanged = errors.New("file changed while it was read")

var bom = []byte{0xEF, 0xBB, 0xBF}

// Inspect reads the size bytes of a plain CSV file of contract d from r,
// once. It returns the file's identity and its data rows cut into parts of
// at most maxPart bytes, or a *RejectError saying why the file cannot be
// loaded as a whole.
func Inspect(r io.Reader, size, maxPart int64, d *contracts.Declaration) (Layout, error) {
	if size == 0 {
		return Layout{}, reject("file is empty (0 bytes)")
	}
	// Buffers fit the file: most files are small, and two 64 KiB buffers per
	// file cost more in allocation and GC than reading it.
	chunk := int(min(size+1, 64<<10))
	hash := sha256.New()
	layout, err := cut(io.TeeReader(r, hash), chunk, size, maxPart, d)
	if err != nil {
		return Layout{}, err
	}
	layout.FileID = hex.EncodeToString(hash.Sum(nil))
	return layout, nil
}

// InspectCompressed reads a gzip or zstd file of size bytes from r, once:
// it hashes the bytes as landed (the file's identity), decompresses them as
// a stream and cuts the CSV they hold exactly as Inspect cuts a plain file,
// its ranges being offsets in the decompressed content. The whole stream
// is checked before anything is returned: a damaged, truncated or
// over-expanding stream is a *RejectError, so nothing of it is published.
func InspectCompressed(r io.Reader, size int64, enc decode.Encoding, pool *decode.Pool, maxDecoded, maxPart int64, d *contracts.Declaration) (Layout, error) {
	hash := sha256.New()
	raw := &countingReader{r: io.TeeReader(r, hash)}
	dec, err := pool.NewReader(enc, raw, maxDecoded, "WATCHER_MAX_DECODED_BYTES")
	if err != nil {
		return Layout{}, decoded(err)
	}
	defer dec.Close()
	layout, err := cut(dec, 64<<10, -1, maxPart, d)
	if err != nil {
		return Layout{}, decoded(err)
	}
	// The decompressor stops at the stream's end marker: bytes after it
	// would be neither loaded nor noticed.
	after, err := io.Copy(io.Discard, raw)
	switch {
	case err != nil:
		return Layout{}, fmt.Errorf("read: %w", err)
	case raw.n != size:
		return Layout{}, ErrChanged
	case after > 0:
		return Layout{}, reject("%s stream ends %d bytes before the file does; nothing of the file is loaded", enc, after)
	}
	layout.FileID = hex.EncodeToString(hash.Sum(nil))
	layout.Encoding = enc
	return layout, nil
}

// decoded turns the decompressor's verdict on a damaged stream into the
// file's rejection.
func decoded(err error) error {
	var de *decode.RejectError
	if errors.As(err, &de) {
		return &RejectError{Reason: de.Reason}
	}
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// rowScanner finds the rows of content fed to it chunk by chunk.
type rowScanner interface {
	write(p []byte) error
	// closeRows ends the content, refusing it if it ends inside a row.
	closeRows() error
}

// scannerFor returns the cutter and scanner of content in format; lines
// is the NDJSON scanner, which also collects the file's keys.
func scannerFor(format string, d *contracts.Declaration, start, maxPart int64) (*cutter, rowScanner, *lineScanner) {
	if format != NDJSON {
		c := newCutter(d, start, maxPart)
		return c, newScanner(start, c.record), nil
	}
	// The keys travel in every part's headers and are known only at the
	// end: room for them is set aside from the start.
	if d.Header == contracts.HeaderByName {
		maxPart -= keysRoom(maxPart)
	}
	c := newLineCutter(maxPart)
	lines := newLineScanner(start, maxPart, c.record)
	return c, lines, lines
}

// cut scans the CSV or NDJSON content of r, in chunks of chunk bytes, and cuts its
// rows into parts. When size is not -1 the content must be exactly size
// bytes: any other length means it changed while it was read (ErrChanged).
func cut(r io.Reader, chunk int, size, maxPart int64, d *contracts.Declaration) (Layout, error) {
	br := bufio.NewReaderSize(r, chunk)
	var start int64
	if p, _ := br.Peek(len(bom)); bytes.Equal(p, bom) {
		_, _ = br.Discard(len(bom))
		start = int64(len(bom))
	}
	head, _ := br.Peek(chunk)
	format := textFormat(head)
	c, sc, lines := scannerFor(format, d, start, maxPart)
	buf := make([]byte, chunk)
	read := start
	for {
		n, err := br.Read(buf)
		c.keepHead(buf[:n])
		if werr := sc.write(buf[:n]); werr != nil {
			return Layout{}, werr
		}
		read += int64(n)
		if size >= 0 && read > size {
			return Layout{}, ErrChanged
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Layout{}, err
		}
	}
	switch {
	case size >= 0 && read != size:
		return Layout{}, ErrChanged
	case read == 0:
		return Layout{}, reject("the decompressed content is empty (0 bytes)")
	}
	if err := sc.closeRows(); err != nil {
		return Layout{}, err
	}
	layout, err := c.finish(read)
	if err != nil {
		return Layout{}, err
	}
	layout.Format, layout.Size = format, read
	if lines != nil {
		if layout.Columns, err = lines.columns(d, keysRoom(maxPart)); err != nil {
			return Layout{}, err
		}
	}
	return layout, nil
}
