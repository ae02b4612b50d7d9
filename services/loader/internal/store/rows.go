package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-dev/tributary/shared/codec"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/ledger"
	"github.com/tributary-dev/tributary/shared/schema"
)

// rowSource streams the valid rows of a set of messages into COPY (see
// binaryCopy), parsing and encoding each row as COPY asks for more, so
// parsing overlaps with PostgreSQL's work and no batch of rows is ever
// built in memory. Each field goes through the codec its column's type
// chose when the contract was resolved: the row loop has no type switch.
// Rows that break the contract are set aside as rejects.
type rowSource struct {
	msgs      []Message
	plans     []rowFilter       // which rows of each message to read
	mappings  []*schema.Mapping // how each message's fields load
	at        int               // index in msgs of the message being read
	reader    rowReader
	bodies    *bodyBuffer                   // reused by the CSV readers
	jsonPlans map[*schema.Mapping]*jsonPlan // how NDJSON rows of each mapping are read
	plan      *jsonPlan                     // of the message being read, if NDJSON
	mapping   *schema.Mapping               // of the message being read
	keep      ledger.Ranges                 // of the message being read; nil keeps every row
	offset    int64                         // where its body starts in its file
	seq       int64

	line int    // the current row's line in its file
	raw  []byte // its text

	// refused are rows PostgreSQL refused, by their position among the
	// valid rows (see copyIsolating): they become rejects, not rows.
	refused map[int]reject
	valid   int // valid rows seen so far, when refused is set

	rejects []reject
	loaded  []int // valid rows per message
	emitted []rowRef
	keepRef bool // remember every emitted row and add its ordinal (staging copies)
}

// reject is a row that will not load, and why.
type reject struct {
	msg    int
	line   int
	column string
	reason string
	raw    []byte
	size   int64 // of the whole row when raw is only its beginning
}

// rowRef remembers where an emitted row came from.
type rowRef struct {
	msg  int
	line int
	key  string // the row's key, as a reason names it
	raw  []byte
}

func newRowSource(msgs []Message, plans []rowFilter, mappings []*schema.Mapping, withOrdinal bool) *rowSource {
	return &rowSource{msgs: msgs, plans: plans, mappings: mappings, at: -1, loaded: make([]int, len(msgs)), keepRef: withOrdinal}
}

// appendNext appends the next valid row to buf as a binary COPY tuple,
// recording rejects on the way, or reports false when no row is left.
func (s *rowSource) appendNext(buf []byte) ([]byte, bool) {
	for {
		if s.reader == nil && !s.nextMessage() {
			return buf, false
		}
		rec, ok := s.reader.next()
		if !ok {
			s.reader = nil
			continue
		}
		if s.keep != nil && !s.keep.HoldsRowEnding(s.offset+rec.end) {
			continue // loaded (or rejected) from another split's part
		}
		out, err := s.encode(buf, rec)
		if err != nil {
			s.rejects = append(s.rejects, reject{msg: s.at, line: rec.line, column: err.Column, reason: err.Reason, raw: rec.raw})
			continue
		}
		if s.refused != nil {
			r, ok := s.refused[s.valid]
			s.valid++
			if ok {
				s.rejects = append(s.rejects, r)
				continue
			}
		}
		s.line, s.raw = rec.line, rec.raw
		s.loaded[s.at]++
		if s.keepRef {
			out = appendInt64(out, int64(len(s.emitted)))
			s.emitted = append(s.emitted, rowRef{msg: s.at, line: rec.line, key: s.key(rec.fields), raw: rec.raw})
		}
		return out, true
	}
}

// encode appends rec's tuple to buf; on an error buf is left as it was.
func (s *rowSource) encode(buf []byte, rec record) ([]byte, *codec.Error) {
	m := s.mapping
	switch {
	case rec.err != "":
		return buf, &codec.Error{Reason: rec.err}
	case len(rec.fields) != m.Width:
		noun := "fields"
		if len(rec.fields) == 1 {
			noun = "field"
		}
		return buf, &codec.Error{Reason: fmt.Sprintf("row has %d %s, want %d (%s)", len(rec.fields), noun, m.Width, m.Header)}
	}
	n := m.Columns
	if s.keepRef {
		n++
	}
	out := binary.BigEndian.AppendUint16(buf, uint16(n))
	for i, f := range m.Fields {
		if f == nil {
			continue
		}
		var err error
		if rec.json != nil {
			out, err = appendJSON(out, m, s.plan, i, f, rec.json[i])
		} else {
			out, err = f.Append(out, rec.fields[i])
		}
		if err != nil {
			var ce *codec.Error
			if !errors.As(err, &ce) {
				ce = &codec.Error{Column: m.Names[i], Reason: err.Error()}
			}
			return buf, ce
		}
	}
	if m.HasSeq {
		out = appendInt64(out, s.seq)
	}
	return out, nil
}

// key renders the row's key as a duplicate's reason names it:
// `event_id "e1"`, or `(a, b) ("x", "y")` for a key of several columns.
func (s *rowSource) key(fields []string) string {
	m := s.mapping
	if len(m.KeyAt) == 1 {
		return m.Names[m.KeyAt[0]] + " " + strconv.Quote(fields[m.KeyAt[0]])
	}
	names, values := make([]string, len(m.KeyAt)), make([]string, len(m.KeyAt))
	for i, at := range m.KeyAt {
		names[i], values[i] = m.Names[at], strconv.Quote(fields[at])
	}
	return "(" + strings.Join(names, ", ") + ") (" + strings.Join(values, ", ") + ")"
}

func (s *rowSource) nextMessage() bool {
	for s.at+1 < len(s.msgs) {
		s.at++
		m := s.msgs[s.at]
		plan := s.plans[s.at]
		if m.Part == nil || plan.none || s.mappings[s.at] == nil {
			continue
		}
		s.keep, s.offset = plan.keep, m.Part.Offset
		if n := m.Part.OversizedRow; n > 0 {
			end := m.Part.Offset + n
			if m.Part.CountsRows() {
				end = m.Part.Offset + 1
			}
			if s.keep != nil && !s.keep.HoldsRowEnding(end) {
				continue
			}
			s.rejects = append(s.rejects, reject{msg: s.at, line: m.Part.FirstLine, raw: m.Body, size: n,
				reason: fmt.Sprintf("row is %d bytes, more than the largest message (WATCHER_MAX_MESSAGE_BYTES)", n)})
			continue
		}
		s.mapping = s.mappings[s.at]
		s.reader = s.readerFor(m)
		s.seq = m.source()
		return true
	}
	return false
}

// readerFor returns the reader of m's rows, by its format.
func (s *rowSource) readerFor(m Message) rowReader {
	if m.Part.Format != ingest.FormatNDJSON {
		if s.bodies == nil {
			s.bodies = newBodyBuffer()
		}
		return newRecords(m.Body, m.Part.FirstLine, s.bodies)
	}
	plan, ok := s.jsonPlans[s.mapping]
	if !ok {
		if s.jsonPlans == nil {
			s.jsonPlans = map[*schema.Mapping]*jsonPlan{}
		}
		plan = newJSONPlan(s.mapping)
		s.jsonPlans[s.mapping] = plan
	}
	s.plan = plan
	return newJSONRecords(m.Body, m.Part.FirstLine, m.Part.CountsRows(), s.mapping, plan.keys)
}

// columns is the COPY column list of the source's rows: they share one
// (see headers.group).
func (s *rowSource) columns() []string {
	for _, m := range s.mappings {
		if m != nil {
			return m.Copy
		}
	}
	return nil
}
