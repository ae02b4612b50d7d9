package ndjson

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// str reads the string at p.i and returns it decoded. Invalid UTF-8 is
// kept as it is (the column's codec names it); a lone surrogate escape is
// an error: it stands for no character.
func (p *parser) str() (string, error) {
	if !p.peek('"') {
		return "", p.fail("expected a string")
	}
	p.i++
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '"' && p.s[p.i] != '\\' && p.s[p.i] >= 0x20 {
		p.i++
	}
	if p.peek('"') { // the common case: nothing to decode
		p.i++
		return p.text[start : p.i-1], nil
	}
	buf := append([]byte(nil), p.s[start:p.i]...)
	for {
		if p.i == len(p.s) {
			return "", p.fail("unterminated string")
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.fail("a control character in a string must be escaped")
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 == len(p.s) {
			return "", p.fail("unterminated string")
		}
		switch e := p.s[p.i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, n, err := p.escape()
			if err != nil {
				return "", err
			}
			buf = utf8.AppendRune(buf, r)
			p.i += n
			continue
		default:
			return "", p.fail("invalid escape")
		}
		p.i += 2
	}
}

// escape reads \uXXXX (and its low surrogate, when it is a high one) at
// p.i, returning the rune and the bytes read.
func (p *parser) escape() (rune, int, error) {
	hex := func(at int) (rune, bool) {
		if at+6 > len(p.s) || p.s[at] != '\\' || p.s[at+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(p.s[at+2:at+6]), 16, 16)
		return rune(v), err == nil
	}
	r, ok := hex(p.i)
	switch {
	case !ok:
		return 0, 0, p.fail("invalid \\u escape")
	case utf16.IsSurrogate(r) && r >= 0xdc00:
		return 0, 0, p.fail("a low surrogate escape without its high surrogate")
	case utf16.IsSurrogate(r):
		low, ok := hex(p.i + 6)
		if !ok || low < 0xdc00 || low >= 0xe000 {
			return 0, 0, p.fail("a high surrogate escape without its low surrogate")
		}
		return utf16.DecodeRune(r, low), 12, nil
	}
	return r, 6, nil
}
