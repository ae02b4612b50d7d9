package codec

import "encoding/binary"

// uuidField is uuid in the forms PostgreSQL reads: 32 hex digits of either
// case, optionally in braces, with a hyphen allowed after any group of
// four digits but the last; sent as its 16 bytes.
type uuidField struct{ column }

func planUUID(c column, _ Column, _ Rules) (Field, error) { return &uuidField{c}, nil }

func (f *uuidField) Append(buf []byte, s string) ([]byte, error) {
	if s == "" {
		return f.empty(buf)
	}
	var u [16]byte
	if !parseUUID(s, &u) {
		return f.invalid(buf, s, "is not a UUID")
	}
	buf = binary.BigEndian.AppendUint32(buf, 16)
	return append(buf, u[:]...), nil
}

// parseUUID follows PostgreSQL's string_to_uuid.
func parseUUID(s string, u *[16]byte) bool {
	braces := len(s) > 0 && s[0] == '{'
	if braces {
		if s[len(s)-1] != '}' {
			return false
		}
		s = s[1 : len(s)-1]
	}
	for i := range u {
		if len(s) < 2 {
			return false
		}
		hi, ok1 := hexDigit(s[0])
		lo, ok2 := hexDigit(s[1])
		if !ok1 || !ok2 {
			return false
		}
		u[i], s = hi<<4|lo, s[2:]
		if i%2 == 1 && i < len(u)-1 && s != "" && s[0] == '-' {
			s = s[1:]
		}
	}
	return s == ""
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
