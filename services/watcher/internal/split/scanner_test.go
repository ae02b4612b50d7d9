package split

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"testing"
)

type boundary struct {
	end  int64
	line int
}

func scanAll(t testing.TB, data []byte, chunk int) ([]boundary, bool, int) {
	var got []boundary
	s := newScanner(0, func(start, end int64, line, _ int) error {
		got = append(got, boundary{end, line})
		return nil
	})
	for len(data) > 0 {
		n := min(chunk, len(data))
		if err := s.write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	unterminated, line, err := s.close()
	if err != nil {
		t.Fatal(err)
	}
	return got, unterminated, line
}

// csvBoundaries is the reference: where encoding/csv ends each record.
func csvBoundaries(data []byte) (out []boundary, lastErrQuote bool, lastStart int) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, lastErrQuote, lastStart
		}
		var pe *csv.ParseError
		line := 0
		lastErrQuote = false
		if errors.As(err, &pe) {
			line = pe.StartLine
			lastErrQuote = errors.Is(pe.Err, csv.ErrQuote)
		} else {
			line, _ = r.FieldPos(0)
		}
		lastStart = line
		out = append(out, boundary{r.InputOffset(), line})
	}
}

func checkAgainstCSV(t *testing.T, data []byte) {
	for _, chunk := range []int{1, 3, 4096} {
		want, lastErrQuote, lastStart := csvBoundaries(data)
		got, unterminated, line := scanAll(t, data, chunk)
		if unterminated {
			// csv reports the unterminated field as a final ErrQuote record
			// that runs to the end of the input.
			if len(want) == 0 || !lastErrQuote || want[len(want)-1].end != int64(len(data)) || lastStart != line {
				t.Fatalf("chunk %d: scanner says unterminated at line %d; csv says %v", chunk, line, want)
			}
			want = want[:len(want)-1]
		}
		if len(got) != len(want) {
			t.Fatalf("chunk %d: %q\nscanner %v\ncsv     %v", chunk, data, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("chunk %d: %q record %d: scanner %v, csv %v", chunk, data, i, got[i], want[i])
			}
		}
	}
}

var seeds = []string{
	"a,b,c\n1,2,3\n",
	"a,b\r\n1,2\r\n",
	"\n\r\n\na,b\n\n",
	"\"a\nb\",c\n",
	"\"a\"\"b\",c\r\n",
	"a\"b,c\nd,e\n",
	"\"a\"b,c\nd,e\n",
	"\"a\"\r,c\nd\n",
	"\"a\"\r\nb\n",
	"\"unterminated\nmore\n",
	"x,\"y\n",
	"a,b",
	"\r",
	"\ra,b\n",
	"\r\r\n",
	",\n,,\n",
	"\"\"\n",
	"a\rb\n",
	"\"a\"",
	"\"a\"\r",
	"\xef\xbb\xbfevent_id\n",
}

func TestScannerMatchesCSV(t *testing.T) {
	for _, s := range seeds {
		checkAgainstCSV(t, []byte(s))
	}
}

func FuzzScannerMatchesCSV(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstCSV(t, data)
	})
}
