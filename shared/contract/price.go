package contract

import (
	"strconv"
	"strings"
)

// Cents is an exact amount of money in hundredths, the unit of DECIMAL(10,2).
// Prices never pass through a float.
type Cents int64

// String renders the amount as PostgreSQL prints DECIMAL(10,2): "12.30".
func (c Cents) String() string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	frac := strconv.FormatInt(int64(c%100), 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(int64(c/100), 10) + "." + frac
}

// parsePrice reads a non-negative decimal that fits DECIMAL(10,2) exactly:
// digits, optionally a point and more digits. Fraction digits beyond the
// second must be zeros ("1.50" and "1.500" are the same value; "1.505" is not
// representable and is rejected rather than rounded).
func parsePrice(s string) (Cents, error) {
	if s == "" {
		return 0, fieldErr(ColPrice, "is empty")
	}
	if err := checkText(ColPrice, s); err != nil {
		return 0, err
	}
	body, negative := strings.CutPrefix(s, "-")
	whole, frac, hasPoint := strings.Cut(body, ".")
	if whole == "" || !allDigits(whole) || (hasPoint && (frac == "" || !allDigits(frac))) {
		return 0, fieldErr(ColPrice, "%s is not a decimal number", quote(s))
	}
	if len(frac) > 2 {
		if strings.Trim(frac[2:], "0") != "" {
			return 0, fieldErr(ColPrice, "%s has more than 2 decimal places", quote(s))
		}
		frac = frac[:2]
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 8 {
		return 0, fieldErr(ColPrice, "%s does not fit DECIMAL(10,2)", quote(s))
	}
	var cents int64
	for i := 0; i < len(whole); i++ {
		cents = cents*10 + int64(whole[i]-'0')
	}
	for i := 0; i < 2; i++ {
		cents *= 10
		if i < len(frac) {
			cents += int64(frac[i] - '0')
		}
	}
	if negative && cents != 0 {
		return 0, fieldErr(ColPrice, "%s is negative", quote(s))
	}
	return Cents(cents), nil
}
