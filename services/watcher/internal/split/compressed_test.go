package split

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/tributary-dev/tributary/services/watcher/internal/decode"
)

func compress(t *testing.T, enc decode.Encoding, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	switch enc {
	case decode.Gzip:
		w := gzip.NewWriter(&b)
		_, _ = w.Write([]byte(s))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	case decode.Zstd:
		w, err := zstd.NewWriter(&b)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(s))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func inspectCompressed(enc decode.Encoding, raw []byte, maxDecoded, maxPart int64) (Layout, error) {
	return InspectCompressed(bytes.NewReader(raw), int64(len(raw)), enc, decode.NewPool(1), maxDecoded, maxPart, userActivity)
}

// A compressed file is cut exactly as its plain content would be: the same
// rows in the same ranges, whatever the split limit. Only its identity
// differs: the hash of the bytes as landed.
func TestCompressedFilesCutAsTheirContent(t *testing.T) {
	s := "\xef\xbb\xbf" + header + "\r\n" + row(-1) + "\r\n\"multi\nline\",2026-01-01 00:00:00,view,1,1.00,2,s\r\n\r\n" + file(500, "\r\n")[len(header)+2:]
	for _, enc := range []decode.Encoding{decode.Gzip, decode.Zstd} {
		raw := compress(t, enc, s)
		for _, maxPart := range []int64{300, 4096, 1 << 20} {
			want, err := inspect(s, maxPart)
			if err != nil {
				t.Fatal(err)
			}
			got, err := inspectCompressed(enc, raw, 1<<20, maxPart)
			if err != nil {
				t.Fatalf("%s at %d: %v", enc, maxPart, err)
			}
			sum := sha256.Sum256(raw)
			if got.FileID != hex.EncodeToString(sum[:]) || got.Encoding != enc {
				t.Errorf("%s: id %s encoding %q, want the hash of the compressed bytes and %q", enc, got.FileID, got.Encoding, enc)
			}
			got.FileID, got.Encoding = want.FileID, ""
			if got.Size != want.Size || got.Rows != want.Rows || len(got.Parts) != len(want.Parts) {
				t.Fatalf("%s at %d: layout %d bytes %d rows %d parts, want %d, %d, %d", enc, maxPart, got.Size, got.Rows, len(got.Parts),
					want.Size, want.Rows, len(want.Parts))
			}
			for i := range want.Parts {
				if got.Parts[i] != want.Parts[i] {
					t.Fatalf("%s at %d: part %d = %+v, want %+v", enc, maxPart, i, got.Parts[i], want.Parts[i])
				}
			}
		}
	}
}

// Nothing of a damaged stream is cut: the whole file is refused with why,
// including when the damage is past every row.
func TestCompressedFilesRefusedWhole(t *testing.T) {
	s := file(2000, "\n")
	g, z := compress(t, decode.Gzip, s), compress(t, decode.Zstd, s)
	tests := []struct {
		name string
		enc  decode.Encoding
		raw  []byte
		max  int64
		want string
	}{
		{"gzip cut short", decode.Gzip, g[:len(g)-3], 1 << 20, "gzip stream is truncated"},
		{"gzip bomb", decode.Gzip, g, 10000, "gzip content expands to more than 10000 bytes (WATCHER_MAX_DECODED_BYTES)"},
		{"zstd cut short", decode.Zstd, z[:len(z)-3], 1 << 20, "zstd stream is truncated"},
		{"zstd bytes after the end", decode.Zstd, append(bytes.Clone(z), 0, 0, 0), 1 << 20, "zstd stream"},
		{"gzip of an empty file", decode.Gzip, compress(t, decode.Gzip, ""), 1 << 20, "the decompressed content is empty (0 bytes)"},
		{"gzip of a header only", decode.Gzip, compress(t, decode.Gzip, header+"\n"), 1 << 20, "file has a header but no rows"},
		{"gzip of the wrong header", decode.Gzip, compress(t, decode.Gzip, "a,b\n1,2\n"), 1 << 20, `the header (line 1) is "a,b"`},
		{"gzip of an unterminated quote", decode.Gzip, compress(t, decode.Gzip, header+"\n\"e1,\n"), 1 << 20, "unterminated quoted field in the row starting at line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inspectCompressed(tt.enc, tt.raw, tt.max, 4096)
			var re *RejectError
			if !errors.As(err, &re) || !strings.Contains(re.Reason, tt.want) {
				t.Fatalf("err = %v, want a rejection containing %q", err, tt.want)
			}
		})
	}
}

func TestCompressedFileThatChangedWhileRead(t *testing.T) {
	g := compress(t, decode.Gzip, file(10, "\n"))
	if _, err := InspectCompressed(bytes.NewReader(g), int64(len(g))-1, decode.Gzip, decode.NewPool(1), 1<<20, 4096, userActivity); !errors.Is(err, ErrChanged) {
		t.Errorf("longer than stat said: err = %v", err)
	}
}
