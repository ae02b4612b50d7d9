package contracts

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CheckHeader checks a file's header, what the watcher can know without
// the table: under HeaderExact, that it is exactly the declared columns;
// under HeaderByName, that every name is there once. Whether the names fit
// the table is the loader's to check.
func (d *Declaration) CheckHeader(fields []string) error {
	if d.Header == HeaderExact {
		if !slices.Equal(fields, d.HeaderNames()) {
			got := strings.Join(fields, ",")
			if len(got) > 200 {
				got = got[:200] + "..."
			}
			return fmt.Errorf("is %s; want %q", strconv.Quote(got), d.HeaderLine())
		}
		return nil
	}
	for i, f := range fields {
		switch {
		case f == "":
			return fmt.Errorf("column %d has no name", i+1)
		case !utf8.ValidString(f) || strings.ContainsAny(f, "\x00\r\n"):
			return fmt.Errorf("column %d's name %s is not valid text", i+1, strconv.Quote(f))
		case slices.Contains(fields[:i], f):
			return fmt.Errorf("names column %q twice", f)
		}
	}
	return nil
}

// HeaderLine is the declared header as a producer writes it.
func (d *Declaration) HeaderLine() string { return strings.Join(d.HeaderNames(), ",") }
