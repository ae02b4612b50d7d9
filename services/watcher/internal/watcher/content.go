package watcher

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/tributary-dev/tributary/services/watcher/internal/decode"
	"github.com/tributary-dev/tributary/services/watcher/internal/dirfd"
	"github.com/tributary-dev/tributary/services/watcher/internal/parquetrows"
	"github.com/tributary-dev/tributary/services/watcher/internal/split"
	"github.com/tributary-dev/tributary/shared/contracts"
)

// content is a claimed file as it is published: its layout, and where the
// parts' bytes are read from, in order.
type content struct {
	layout split.Layout
	parts  io.ReaderAt
	close  func()
}

// Close releases a decompressor reading the parts.
func (c content) Close() {
	if c.close != nil {
		c.close()
	}
}

// inspect tells how the file f (size bytes, landed as name) is encoded,
// by its first bytes, and reads it whole once: its identity, its rows cut
// into parts of at most maxPart bytes, or why it cannot be loaded (a
// *split.RejectError). A compressed file's parts are then read from a
// second decompression of it, a Parquet file's from a second reading of
// its rows.
func (w *Watcher) inspect(file dirfd.Reader, name string, size, maxPart int64, c *contracts.Declaration) (content, error) {
	var f interface {
		io.Reader
		io.ReaderAt
	} = file
	if size < smallFile {
		// One read for all: small files are most files, and every read
		// of the file is a system call. A read of a regular file returns
		// all it holds up to the buffer, a byte more than its size if it
		// grew; a short count is read on, not taken for the end.
		buf := make([]byte, size+1)
		n, err := file.Read(buf)
		if err == nil && int64(n) < size {
			var more int
			more, err = file.ReadAt(buf[n:], int64(n))
			n += more
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return content{}, fmt.Errorf("read: %w", err)
		}
		f = bytes.NewReader(buf[:n])
	}
	head := make([]byte, decode.HeadBytes)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return content{}, fmt.Errorf("read: %w", err)
	}
	enc, err := decode.Detect(head[:n], name)
	if err != nil {
		return content{}, &split.RejectError{Reason: err.Error()}
	}
	// Read the file itself, one byte past its size, so that Inspect sees a
	// file that grew since the Stat (a writer the lease cannot see); the
	// Stat again afterwards catches a change after the last read.
	grown := io.LimitReader(f, size+1)
	switch enc {
	case decode.Plain:
		layout, err := split.Inspect(grown, size, maxPart, c)
		if err == nil {
			err = confirm(name, layout)
		}
		return content{layout: layout, parts: f}, err
	case decode.Gzip, decode.Zstd:
		layout, err := split.InspectCompressed(grown, size, enc, w.decoders, w.cfg.MaxDecodedBytes, maxPart, c)
		if err == nil {
			err = confirm(name, layout)
		}
		if err != nil {
			return content{}, err
		}
		dec, err := w.decoders.NewReader(enc, io.NewSectionReader(f, 0, size), w.cfg.MaxDecodedBytes, "WATCHER_MAX_DECODED_BYTES")
		if err != nil {
			return content{}, fmt.Errorf("decompress again: %w", err)
		}
		return content{layout: layout, parts: decode.NewSequential(dec), close: func() { _ = dec.Close() }}, nil
	default: // decode.Parquet
		layout, err := split.InspectParquet(f, size, w.cfg.MaxDecodedBytes, maxPart, c)
		if err == nil {
			err = confirm(name, layout)
		}
		if err != nil {
			return content{}, err
		}
		rows, err := parquetrows.Open(f, size)
		if err != nil {
			return content{}, fmt.Errorf("open again: %w", err)
		}
		return content{layout: layout, parts: parquetrows.NewBodies(rows), close: func() { _ = rows.Close() }}, nil
	}
}

// smallFile is the size under which a file is read into memory whole,
// once, rather than read again for each use.
const smallFile = 1 << 20

// confirm checks that what a file's name promises its text to be, if
// anything, is what its content is: a .csv that holds NDJSON, or the
// other way round, is mislabelled or damaged, and is not guessed at.
func confirm(name string, l split.Layout) error {
	bare := strings.ToLower(name)
	if _, suffix := decode.Promised(bare); suffix != "" {
		bare = strings.TrimSuffix(bare, suffix)
	}
	promised, what := "", ""
	switch path.Ext(bare) {
	case ".csv":
		promised, what = split.CSV, "CSV"
	case ".ndjson", ".jsonl", ".json":
		promised, what = split.NDJSON, "NDJSON"
	default:
		return nil
	}
	is := "CSV (its first line does not start with {)"
	switch {
	case l.Encoding == decode.Parquet:
		is = "Parquet"
	case l.Format == promised:
		return nil
	case l.Format == split.NDJSON:
		is = "NDJSON (its first line starts with {)"
	}
	return &split.RejectError{Reason: fmt.Sprintf("is named %s, but its content is %s, not %s", path.Ext(bare), is, what)}
}

// formatOf names how a file was landed, for the log: csv, ndjson, gzip
// csv, zstd ndjson, parquet.
func formatOf(l split.Layout) string {
	text := "csv"
	if l.Format == split.NDJSON {
		text = "ndjson"
	}
	switch l.Encoding {
	case decode.Plain:
		return text
	case decode.Parquet:
		return string(l.Encoding)
	}
	return string(l.Encoding) + " " + text
}
