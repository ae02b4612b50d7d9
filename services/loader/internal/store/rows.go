package store

import (
	"fmt"

	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/ledger"
)

// copyColumns are the user_activity columns the loader writes.
var copyColumns = []string{"event_id", "event_time", "event_type", "product_id", "price", "user_id", "session_id", "source_seq"}

// rowSource streams the valid rows of a set of messages into COPY (see
// binaryCopy), parsing as COPY asks for more, so parsing overlaps with
// PostgreSQL's work and no batch of rows is ever built in memory. Rows that
// break the contract are set aside as rejects.
type rowSource struct {
	msgs   []Message
	plans  []rowFilter // which rows of each message to read
	at     int         // index in msgs of the message being read
	reader *contract.Reader
	keep   ledger.Ranges // of the message being read; nil keeps every row
	offset int64         // where its body starts in its file

	event contract.Event // the current row
	line  int            // its line in its file
	raw   []byte         // its text
	seq   int64
	ord   int64 // position in the batch (staging copies only)

	// refused are rows PostgreSQL refused, by their position among the
	// valid rows (see copyIsolating): they become rejects, not rows.
	refused map[int]reject
	valid   int // valid rows seen so far, when refused is set

	rejects []reject
	loaded  []int // valid rows per message
	emitted []rowRef
	keepRef bool // remember every emitted row (for duplicate reporting)
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
	id   string
	raw  []byte
}

func newRowSource(msgs []Message, plans []rowFilter, withOrdinal bool) *rowSource {
	return &rowSource{msgs: msgs, plans: plans, at: -1, loaded: make([]int, len(msgs)), keepRef: withOrdinal}
}

// Next advances to the next valid row, recording rejects on the way.
func (s *rowSource) Next() bool {
	for {
		if s.reader == nil {
			if !s.nextMessage() {
				return false
			}
		}
		rec, ok := s.reader.Next()
		if !ok {
			s.reader = nil
			continue
		}
		if s.keep != nil && !s.keep.HoldsRowEnding(s.offset+rec.End) {
			continue // loaded (or rejected) from another split's part
		}
		if rec.Err != nil {
			s.rejects = append(s.rejects, reject{msg: s.at, line: rec.Line, column: rec.Err.Column, reason: rec.Err.Reason, raw: rec.Raw})
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
		s.event, s.line, s.raw = rec.Event, rec.Line, rec.Raw
		s.loaded[s.at]++
		if s.keepRef {
			s.ord = int64(len(s.emitted))
			s.emitted = append(s.emitted, rowRef{msg: s.at, line: rec.Line, id: rec.Event.ID, raw: rec.Raw})
		}
		return true
	}
}

func (s *rowSource) nextMessage() bool {
	for s.at+1 < len(s.msgs) {
		s.at++
		m := s.msgs[s.at]
		plan := s.plans[s.at]
		if m.Part == nil || plan.none {
			continue
		}
		s.keep, s.offset = plan.keep, m.Part.Offset
		if n := m.Part.OversizedRow; n > 0 {
			if s.keep != nil && !s.keep.HoldsRowEnding(m.Part.Offset+n) {
				continue
			}
			s.rejects = append(s.rejects, reject{msg: s.at, line: m.Part.FirstLine, raw: m.Body, size: n,
				reason: fmt.Sprintf("row is %d bytes, more than the largest message (WATCHER_MAX_MESSAGE_BYTES)", n)})
			continue
		}
		s.reader = contract.NewReader(m.Body, m.Part.FirstLine)
		s.seq = int64(m.Seq)
		return true
	}
	return false
}
