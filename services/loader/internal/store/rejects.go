package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// maxRawBytes bounds the raw line kept with a reject.
const maxRawBytes = 2048

func insertRejects(ctx context.Context, tx pgx.Tx, contract string, msgs []Message, rejects []reject) error {
	if len(rejects) == 0 {
		return nil
	}
	rows := make([][]any, len(rejects))
	for i, r := range rejects {
		m := msgs[r.msg]
		var column *string
		if r.column != "" {
			column = &r.column
		}
		rows[i] = []any{contract, m.fileID(), m.FileName(), int32(r.line), column, r.reason, printable(r.raw, r.size), int64(m.Seq)}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"ingest_rejects"},
		[]string{"contract", "file_id", "file_name", "line_number", "column_name", "reason", "raw_line", "stream_seq"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("insert rejects: %w", err)
	}
	return nil
}

// insertRejectedFiles records the rejection notices among msgs, and the
// parts whose header does not fit the table (misfits, by message: each
// part of such a file is recorded, with its range, as the file's share).
func insertRejectedFiles(ctx context.Context, tx pgx.Tx, msgs []Message, misfits map[int]string) error {
	for i, m := range msgs {
		r := m.Rejection
		if reason, ok := misfits[i]; ok {
			p := m.Part
			if p.Count > 1 {
				reason = fmt.Sprintf("%s (part %d of %d, bytes %d-%d)", reason, p.Index, p.Count, p.From, p.To)
			}
			r = &ingest.Rejection{FileID: p.FileID, FileName: p.FileName, Reason: reason, Size: p.Size, LandedAt: p.LandedAt}
		}
		if r == nil {
			continue
		}
		var landed any
		if !r.LandedAt.IsZero() {
			landed = r.LandedAt
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO rejected_files (file_id, file_name, reason, size_bytes, stream_seq, landed_at)
			VALUES (NULLIF($1, ''), $2, $3, $4, $5, $6)`,
			r.FileID, r.FileName, r.Reason, r.Size, int64(m.Seq), landed)
		if err != nil {
			return fmt.Errorf("insert rejected file: %w", err)
		}
	}
	return nil
}

// printable makes a raw line storable as text: valid UTF-8, no NUL (which
// PostgreSQL refuses), bounded in size. What was replaced stays visible.
// size is the length of the whole line when raw is only its beginning.
func printable(raw []byte, size int64) string {
	s := string(raw)
	size = max(size, int64(len(raw)))
	truncated := size > int64(len(s)) || len(s) > maxRawBytes
	if len(s) > maxRawBytes {
		cut := maxRawBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if truncated {
		s += fmt.Sprintf("... [truncated: %d bytes in all]", size)
	}
	return s
}
