package split

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
)

// headerFields reads every header line as encoding/csv does.
func FuzzHeaderFieldsAgreesWithCSV(f *testing.F) {
	for _, s := range []string{"a,b,c\n", "a,b,c\r\n", "a,b,c", " a , b ,\n", "a,\"b,c\",d\n", "a\rb,c\n", ",,\n", "é,ü\n", "a,b\"c\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		want, wantErr := csv.NewReader(bytes.NewReader(raw)).Read()
		got, err := headerFields(raw)
		if (err != nil) != (wantErr != nil) || err == nil && !slices.Equal(got, want) {
			t.Fatalf("headerFields(%q) = %q, %v; encoding/csv says %q, %v", raw, got, err, want, wantErr)
		}
	})
}
