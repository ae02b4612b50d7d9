// Package store applies micro-batches of messages to PostgreSQL exactly
// once. One transaction per batch writes a ledger row per message, the
// messages' valid rows (COPY), their rejected rows and any file-rejection
// notices. A message whose ledger row already exists (a redelivery, a
// re-publish after the duplicate window, a second loader racing) is skipped
// inside that same transaction, so acknowledging after COMMIT is safe
// whatever crashes when.
package store

import (
	"github.com/tributary-dev/tributary/shared/ingest"
)

// Message is one delivered message, decoded.
type Message struct {
	ID  string // Nats-Msg-Id: the ledger key
	Seq uint64 // stream sequence
	// Source is what the rows it loads record in the table's sequence
	// column, when not Seq: a file in a bundle (see ingest.SourceSeq).
	Source int64

	// Exactly one of Part and Rejection is set.
	Part      *ingest.Part
	Body      []byte // the part's rows: CSV, or NDJSON (see ingest.Part.Format)
	Rejection *ingest.Rejection
}

// source is what m's rows record as their sequence.
func (m Message) source() int64 {
	if m.Source != 0 {
		return m.Source
	}
	return int64(m.Seq)
}

// fileID returns the content id, empty for a rejection of unread content.
func (m Message) fileID() string {
	if m.Part != nil {
		return m.Part.FileID
	}
	return m.Rejection.FileID
}

// fileKey is the ledger's name of the file: its content id within its
// contract (see ingest.Part.FileKey).
func (m Message) fileKey() string {
	if m.Part != nil {
		return m.Part.FileKey()
	}
	return m.Rejection.FileID
}

// FileName is the name the message's file landed under.
func (m Message) FileName() string {
	if m.Part != nil {
		return m.Part.FileName
	}
	return m.Rejection.FileName
}

// Outcome says what applying a message did.
type Outcome struct {
	Applied  bool // false when the ledger already had it: nothing was written
	Loaded   int  // rows inserted into the contract's table
	Rejected int  // rows written to ingest_rejects
}
