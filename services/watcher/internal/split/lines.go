package split

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tributary-dev/tributary/shared/contracts"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/ndjson"
)

// Text formats of a file's content.
const (
	CSV    = ""                  // the default
	NDJSON = ingest.FormatNDJSON // one JSON object per line
)

// maxKeys bounds the distinct keys of an NDJSON file: PostgreSQL's most
// columns of a table.
const maxKeys = 1600

// textFormat tells NDJSON from CSV by the first byte that is not white
// space: an object's brace. A CSV header cannot start with one in any
// contract the watcher would take for NDJSON by mistake: its name would
// have to begin with "{".
func textFormat(head []byte) string {
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return NDJSON
	}
	return CSV
}

// lineScanner finds the lines of NDJSON content and the keys its objects
// have, in order of first appearance: under a by_name contract they are
// the file's columns, as a CSV header's names are. A line that is not an
// object is the loader's to reject; it adds no key. It keeps one line at a
// time, and none longer than a message (such a line is rejected alone).
type lineScanner struct {
	offset   int64
	line     int
	start    int64 // of the current line
	blank    bool  // the current line holds only white space so far
	buf      []byte
	maxLine  int
	overlong bool // the current line is longer than maxLine: not looked into
	onRecord recordFunc
	members  []ndjson.Member
	keys     []string
	seen     map[string]bool
	tooMany  bool
}

func newLineScanner(start int64, maxLine int64, onRecord recordFunc) *lineScanner {
	return &lineScanner{offset: start, start: start, line: 1, blank: true, maxLine: int(maxLine), onRecord: onRecord, seen: map[string]bool{}}
}

func (s *lineScanner) write(p []byte) error {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i+1]
		}
		if s.blank && len(bytes.TrimLeft(chunk, " \t\r\n")) > 0 {
			s.blank = false
		}
		if !s.overlong && len(s.buf)+len(chunk) <= s.maxLine {
			s.buf = append(s.buf, chunk...)
		} else {
			s.buf, s.overlong = s.buf[:0], true
		}
		s.offset += int64(len(chunk))
		p = p[len(chunk):]
		if i >= 0 {
			if err := s.end(); err != nil {
				return err
			}
		}
	}
	return nil
}

// end closes the line that ends at s.offset.
func (s *lineScanner) end() error {
	line, start, buf, overlong, blank := s.line, s.start, s.buf, s.overlong, s.blank
	s.line++
	s.start, s.buf, s.blank, s.overlong = s.offset, s.buf[:0], true, false
	if blank {
		return nil // a blank line, skipped as CSV skips them
	}
	if !overlong {
		s.keysOf(buf)
	}
	return s.onRecord(start, s.offset, line, s.line)
}

func (s *lineScanner) keysOf(line []byte) {
	var err error
	if s.members, err = ndjson.Parse(line, s.members[:0]); err != nil {
		return
	}
	for _, m := range s.members {
		if s.seen[m.Key] {
			continue
		}
		if len(s.keys) == maxKeys {
			s.tooMany = true
			return
		}
		s.seen[m.Key] = true
		s.keys = append(s.keys, m.Key)
	}
}

// closeRows ends the content: a last line without a line ending is a line.
func (s *lineScanner) closeRows() error {
	if s.offset == s.start || s.blank {
		return nil
	}
	return s.end()
}

// columns checks the file's keys against contract d and returns the
// header line a by_name part carries ("" under an exact header, whose
// columns are the declared ones), which may take room bytes of a
// message's headers.
func (s *lineScanner) columns(d *contracts.Declaration, room int64) (string, error) {
	if s.tooMany {
		return "", reject("the file's objects have more than %d distinct keys; a table has at most %d columns", maxKeys, maxKeys)
	}
	return keysHeader(d, s.keys, room, "the file's objects have key(s)")
}

// keysHeader checks keys, the names an NDJSON or a Parquet file gives its
// values, against contract d: under an exact header every one must be
// declared (the part then carries none: the declared columns are its
// fields); under by_name they must be valid names, and are returned as a
// header line, which must fit in room bytes of a message's headers. have
// starts the reason that names the keys not declared.
func keysHeader(d *contracts.Declaration, keys []string, room int64, have string) (string, error) {
	if d.Header == contracts.HeaderExact {
		declared := d.HeaderNames()
		var extra []string
		for _, k := range keys {
			if !slices.Contains(declared, k) {
				extra = append(extra, strconv.Quote(k))
			}
		}
		if len(extra) > 0 {
			return "", reject("%s %s, which contract %s does not declare (its columns: %s)",
				have, strings.Join(extra, ", "), d.Name, d.HeaderLine())
		}
		return "", nil
	}
	if len(keys) == 0 {
		return "", reject("no line of the file is an object with a key; contract %s maps keys to columns by name", d.Name)
	}
	if err := d.CheckHeader(keys); err != nil {
		return "", reject("the file's keys: %v", err)
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.Write(keys); err != nil {
		return "", fmt.Errorf("write keys: %w", err)
	}
	w.Flush()
	line := strings.TrimSuffix(b.String(), "\n")
	if n := int64(len(ingest.HeaderColumns) + len(": \r\n") + len(ingest.EncodeName(line))); n > room {
		return "", reject("the file's %d keys take %d bytes as a message header, more than the %d set aside for them (a sixteenth of WATCHER_MAX_MESSAGE_BYTES, at most 16 KiB)",
			len(keys), n, room)
	}
	return line, nil
}
