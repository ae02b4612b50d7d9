package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// The formats a dataset is landed in by the formats runs.
const (
	formatCSV     = "csv"
	formatGzip    = "gzip"
	formatZstd    = "zstd"
	formatNDJSON  = "ndjson"
	formatParquet = "parquet"
)

var allFormats = []string{formatCSV, formatGzip, formatZstd, formatNDJSON, formatParquet}

// suffix is what a file of format adds to its CSV name.
func suffix(format string) string {
	switch format {
	case formatGzip:
		return ".gz"
	case formatZstd:
		return ".zst"
	case formatNDJSON:
		return ".ndjson"
	case formatParquet:
		return ".parquet"
	}
	return ""
}

// convert writes ds's files in format into dir, as a producer of that
// format would land them, and returns them as a dataset of the same rows.
func (d *Dataset) convert(format, dir string) (*Dataset, error) {
	if format == formatCSV {
		return d, nil
	}
	out := &Dataset{Dir: dir, IDs: d.IDs, Files: d.Files, RowsPerFile: d.RowsPerFile, Rows: d.Rows}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	start := time.Now()
	for _, name := range d.Names {
		dst := name + suffix(format)
		if format == formatNDJSON || format == formatParquet {
			dst = strings.TrimSuffix(name, ".csv") + suffix(format)
		}
		n, err := convertFile(format, filepath.Join(d.Dir, name), filepath.Join(dir, dst))
		if err != nil {
			return nil, fmt.Errorf("convert %s to %s: %w", name, format, err)
		}
		out.Names = append(out.Names, dst)
		out.Bytes += n
	}
	out.GenerateSeconds = time.Since(start).Seconds()
	return out, nil
}

// convertFile writes src in format to dst and returns dst's size.
func convertFile(format, src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	f, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := bufio.NewWriterSize(f, 1<<20)
	var w io.WriteCloser
	switch format {
	case formatNDJSON:
		err = writeNDJSON(src, buf)
	case formatParquet:
		err = writeParquet(src, buf)
	case formatGzip:
		w = gzip.NewWriter(buf)
	case formatZstd:
		if w, err = zstd.NewWriter(buf); err != nil {
			return 0, err
		}
	default:
		return 0, fmt.Errorf("no such format %q", format)
	}
	if err != nil {
		return 0, err
	}
	if w != nil {
		if _, err := io.Copy(w, in); err != nil {
			return 0, err
		}
		if err := w.Close(); err != nil {
			return 0, err
		}
	}
	if err := buf.Flush(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), f.Close()
}
