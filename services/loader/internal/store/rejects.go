package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// maxRawBytes bounds the raw line kept with a reject.
const maxRawBytes = 2048

func insertRejects(ctx context.Context, tx pgx.Tx, msgs []Message, rejects []reject) error {
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
		rows[i] = []any{m.fileID(), m.FileName(), int32(r.line), column, r.reason, printable(r.raw, r.size), int64(m.Seq)}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"user_activity_rejects"},
		[]string{"file_id", "file_name", "line_number", "column_name", "reason", "raw_line", "stream_seq"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("insert rejects: %w", err)
	}
	return nil
}

func insertRejectedFiles(ctx context.Context, tx pgx.Tx, msgs []Message) error {
	for _, m := range msgs {
		r := m.Rejection
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
