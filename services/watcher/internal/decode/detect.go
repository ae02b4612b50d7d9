// Package decode tells how a landed file is encoded from its first bytes
// and undoes a compression as a stream, bounded in what it expands to and
// checked to its end: a stream that is truncated or corrupt anywhere is an
// error, never a shorter file.
package decode

import (
	"bytes"
	"fmt"
	"strings"
)

// Encoding is how a landed file's bytes are written.
type Encoding string

// Encodings the watcher reads. Plain text (CSV or NDJSON) is "".
const (
	Plain   Encoding = ""
	Gzip    Encoding = "gzip"
	Zstd    Encoding = "zstd"
	Parquet Encoding = "parquet"
)

// HeadBytes is how many of a file's first bytes Detect needs.
const HeadBytes = 4

var magics = []struct {
	enc   Encoding
	magic []byte
}{
	{Gzip, []byte{0x1f, 0x8b}},
	{Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{Parquet, []byte("PAR1")},
}

// suffixes are the names that promise an encoding.
var suffixes = []struct {
	enc    Encoding
	suffix string
}{
	{Gzip, ".gz"}, {Gzip, ".gzip"}, {Zstd, ".zst"}, {Zstd, ".zstd"}, {Parquet, ".parquet"},
}

// RejectError means the file's name and content disagree, or its content
// cannot be decoded: the reason is for a person.
type RejectError struct{ Reason string }

func (e *RejectError) Error() string { return e.Reason }

func reject(format string, args ...any) error {
	return &RejectError{Reason: fmt.Sprintf(format, args...)}
}

// Detect returns the encoding of a file named name whose first bytes are
// head. The content decides; the name may only confirm it: a name that
// promises an encoding its content does not have (a .gz that is not gzip)
// is refused, since the file is then damaged or mislabelled, and guessing
// either way could load the wrong thing.
func Detect(head []byte, name string) (Encoding, error) {
	enc := Plain
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			enc = m.enc
			break
		}
	}
	promised, suffix := Promised(name)
	if promised != Plain && promised != enc {
		is := "is " + string(enc)
		if enc == Plain {
			is = "is not " + string(promised)
		}
		return enc, reject("is named %s, but its content %s (%s starts with %s; the file starts with % x)",
			suffix, is, promised, describeMagic(promised), head)
	}
	return enc, nil
}

// Promised is the encoding a file's name promises, and the suffix that
// promises it; Plain when the name promises none.
func Promised(name string) (Encoding, string) {
	lower := strings.ToLower(name)
	for _, s := range suffixes {
		if strings.HasSuffix(lower, s.suffix) {
			return s.enc, name[len(name)-len(s.suffix):]
		}
	}
	return Plain, ""
}

func describeMagic(e Encoding) string {
	for _, m := range magics {
		if m.enc == e {
			return fmt.Sprintf("% x", m.magic)
		}
	}
	return ""
}
