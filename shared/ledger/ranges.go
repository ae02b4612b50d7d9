package ledger

// Range is the bytes [Lo, Hi) of a file. A row belongs to the range it
// ends in: every boundary the watcher cuts at is the end of a row.
type Range struct{ Lo, Hi int64 }

// HoldsRowEnding reports whether the row ending at end (just past its line
// ending) is one of the range's rows.
func (r Range) HoldsRowEnding(end int64) bool { return r.Lo < end && end <= r.Hi }

// Ranges is a set of byte ranges, sorted and disjoint.
type Ranges []Range

// HoldsRowEnding reports whether one of the ranges holds the row.
func (rs Ranges) HoldsRowEnding(end int64) bool {
	for _, r := range rs {
		if r.HoldsRowEnding(end) {
			return true
		}
	}
	return false
}

// Minus returns the parts of r that rs does not cover.
func (rs Ranges) Minus(r Range) Ranges {
	var out Ranges
	at := r.Lo
	for _, c := range rs {
		if c.Hi <= at || c.Lo >= r.Hi {
			continue
		}
		if c.Lo > at {
			out = append(out, Range{at, c.Lo})
		}
		at = max(at, c.Hi)
	}
	if at < r.Hi {
		out = append(out, Range{at, r.Hi})
	}
	return out
}

// Plus returns rs with r added, merged with the ranges it touches.
func (rs Ranges) Plus(r Range) Ranges {
	out := make(Ranges, 0, len(rs)+1)
	i := 0
	for ; i < len(rs) && rs[i].Hi < r.Lo; i++ {
		out = append(out, rs[i])
	}
	for ; i < len(rs) && rs[i].Lo <= r.Hi; i++ {
		r = Range{min(r.Lo, rs[i].Lo), max(r.Hi, rs[i].Hi)}
	}
	out = append(out, r)
	return append(out, rs[i:]...)
}
