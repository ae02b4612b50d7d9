// Package split reads a landed file once, without holding it in memory: it
// hashes it, checks that it can be read as its contract (header, quoting,
// size) and cuts its data rows into row-aligned parts that each fit in one
// NATS message.
package split

// scanner finds CSV record boundaries with exactly the rules of
// encoding/csv (RFC 4180, LazyQuotes off), which the loader uses to read the
// rows: the parts it cuts always hold whole records, malformed ones included.
// It sees bytes, never keeps them, and so bounds memory for any input.
type scanner struct {
	state    state
	offset   int64 // offset of the next byte
	line     int   // line of the next byte, 1-based
	recStart int64 // where the current record began
	recLine  int   // line where the current record began
	onRecord recordFunc
}

// recordFunc receives each record: its byte range, the line it starts on
// and the line of the byte after it.
type recordFunc func(start, end int64, line, nextLine int) error

type state uint8

const (
	recordStart   state = iota // at a line start, outside any record
	recordStartCR              // a '\r' at a line start: blank line or data
	fieldStart                 // after a comma
	unquoted                   // inside a field without quotes
	quoted                     // inside a quoted field
	quoteSeen                  // a '"' inside a quoted field: escape, end or error
	quoteSeenCR                // '"' then '\r': end of line only if '\n' follows
	skipLine                   // a malformed record: csv drops the rest of its line
)

func newScanner(startOffset int64, onRecord recordFunc) *scanner {
	return &scanner{offset: startOffset, line: 1, onRecord: onRecord}
}

// write consumes the next chunk of the input.
func (s *scanner) write(p []byte) error {
scan:
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch s.state {
		case recordStart:
			switch c {
			case '\n':
				s.line++ // blank line: skipped, as csv does
			case '\r':
				s.begin(i)
				s.state = recordStartCR
			case '"':
				s.begin(i)
				s.state = quoted
			case ',':
				s.begin(i)
				s.state = fieldStart
			default:
				s.begin(i)
				s.state = unquoted
			}
		case recordStartCR:
			if c == '\n' { // "\r\n" alone is a blank line
				s.line++
				s.state = recordStart
				break
			}
			s.state = unquoted // the '\r' was data
			i--                // read c again as part of the field
			continue
		case fieldStart:
			switch c {
			case '"':
				s.state = quoted
			case '\n':
				if err := s.end(i); err != nil {
					return err
				}
			case ',':
			default:
				s.state = unquoted
			}
		case unquoted:
			// Most bytes of a file are inside unquoted fields: skip to
			// the next one that matters without a trip round the switch.
			for c != ',' && c != '\n' && c != '"' {
				if i++; i == len(p) {
					break scan
				}
				c = p[i]
			}
			switch c {
			case ',':
				s.state = fieldStart
			case '\n':
				if err := s.end(i); err != nil {
					return err
				}
			case '"':
				s.state = skipLine // bare quote
			}
		case quoted:
			switch c {
			case '"':
				s.state = quoteSeen
			case '\n':
				s.line++
			}
		case quoteSeen:
			switch c {
			case '"':
				s.state = quoted // escaped quote
			case ',':
				s.state = fieldStart
			case '\n':
				if err := s.end(i); err != nil {
					return err
				}
			case '\r':
				s.state = quoteSeenCR
			default:
				s.state = skipLine // text after a closing quote
			}
		case quoteSeenCR:
			if c == '\n' {
				if err := s.end(i); err != nil {
					return err
				}
				break
			}
			s.state = skipLine
		case skipLine:
			if c == '\n' {
				if err := s.end(i); err != nil {
					return err
				}
			}
		}
	}
	s.offset += int64(len(p))
	return nil
}

// close ends the input. It reports whether the input ended inside a quoted
// field, and the line where that field's record began.
func (s *scanner) close() (unterminated bool, line int, err error) {
	switch s.state {
	case recordStart, recordStartCR:
		return false, 0, nil
	case quoted:
		return true, s.recLine, nil
	}
	s.state = recordStart
	return false, 0, s.onRecord(s.recStart, s.offset, s.recLine, s.line)
}

// closeRows ends the input, refusing one that ends inside a quoted field.
func (s *scanner) closeRows() error {
	unterminated, line, err := s.close()
	if err == nil && unterminated {
		err = reject("unterminated quoted field in the row starting at line %d", line)
	}
	return err
}

func (s *scanner) begin(i int) {
	s.recLine = s.line
	s.recStart = s.offset + int64(i)
}

// end closes the record at the '\n' at index i of the current chunk.
func (s *scanner) end(i int) error {
	s.line++
	s.state = recordStart
	return s.onRecord(s.recStart, s.offset+int64(i)+1, s.recLine, s.line)
}
