package codec

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"
)

// textField is text, varchar(n) or char(n): valid UTF-8 without NUL (the
// database is UTF8), at most n characters. PostgreSQL silently cuts a
// longer value when the excess is spaces; the codec rejects it, since it
// would not load what was written. char(n) is padded with spaces to n
// characters here, as PostgreSQL stores it.
type textField struct {
	column
	max    int  // most characters; 0 for no limit
	pad    bool // char(n): pad to max characters
	spaces bool // reject leading or trailing white space
}

func planText(pad bool) func(column, Column, Rules) (Field, error) {
	return func(c column, col Column, r Rules) (Field, error) {
		f := &textField{column: c, spaces: r.RejectSpaces}
		if col.Typmod >= 4 {
			f.max, f.pad = int(col.Typmod-4), pad
		}
		if len(r.OneOf) > 0 {
			return planChoice(f, r.OneOf)
		}
		return f, nil
	}
}

func (f *textField) Append(buf []byte, s string) ([]byte, error) {
	if s == "" {
		return f.empty(buf)
	}
	if err := f.badText(s, f.spaces); err != nil {
		return buf, err
	}
	n := len(s) // characters, counted only when bytes do not settle it
	if f.pad || (f.max > 0 && len(s) > f.max) {
		n = utf8.RuneCountInString(s)
	}
	if f.max > 0 && n > f.max {
		return buf, f.errorf("%s is %d characters, longer than %d", quote(s), n, f.max)
	}
	padding := 0
	if f.pad {
		padding = f.max - n
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)+padding))
	buf = append(buf, s...)
	for range padding {
		buf = append(buf, ' ')
	}
	return buf, nil
}

// AppendEmpty loads the empty string: char(n) pads it to n spaces.
func (f *textField) AppendEmpty(buf []byte) ([]byte, error) {
	n := 0
	if f.pad {
		n = f.max
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(n))
	for range n {
		buf = append(buf, ' ')
	}
	return buf, nil
}

// choiceField is a text column whose values must be one of a list, as
// written (no case folding, no trimming).
type choiceField struct {
	column
	values  []string
	encoded [][]byte // the field of each value, encoded once
	list    string   // "view or purchase", for the reason
}

// planChoice checks each allowed value against the column's type, so a
// declared value that could never load is an error now rather than a
// reject on every row.
func planChoice(f *textField, values []string) (Field, error) {
	c := &choiceField{column: f.column, values: values}
	for _, v := range values {
		if v == "" {
			return nil, fmt.Errorf("column %q: OneOf lists an empty value, which CSV cannot tell from NULL", f.name)
		}
		enc, err := f.Append(nil, v)
		if err != nil {
			return nil, fmt.Errorf("column %q: OneOf value: %w", f.name, err)
		}
		c.encoded = append(c.encoded, enc)
	}
	c.list = values[len(values)-1]
	if len(values) > 1 {
		c.list = strings.Join(values[:len(values)-1], ", ") + " or " + c.list
	}
	return c, nil
}

func (f *choiceField) Append(buf []byte, s string) ([]byte, error) {
	if s == "" {
		return f.empty(buf)
	}
	for i, v := range f.values {
		if s == v {
			return append(buf, f.encoded[i]...), nil
		}
	}
	// Spaces are named even without RejectSpaces: a value with them is
	// not in the list either, and "has leading or trailing spaces" says
	// better what to fix.
	if err := f.badText(s, true); err != nil {
		return buf, err
	}
	return buf, f.errorf("%s is not %s", quote(s), f.list)
}

// AppendEmpty refuses the empty string, which a list never holds.
func (f *choiceField) AppendEmpty(buf []byte) ([]byte, error) {
	return buf, f.errorf(`"" is not %s`, f.list)
}
