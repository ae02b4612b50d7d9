package main

import (
	"fmt"
	"strings"
)

// obj is an NDJSON line of user_activity with id, the other members
// given (a member's text as written) replacing the defaults.
func obj(id string, kv ...string) string {
	members := []string{`"event_id":"` + id + `"`, `"event_time":"2026-11-26 10:00:00"`, `"event_type":"view"`, `"product_id":1`,
		`"price":1.50`, `"user_id":1`, `"session_id":"s"`}
	for i := 0; i+1 < len(kv); i += 2 {
		key := `"` + kv[i] + `":`
		found := false
		for j, m := range members {
			if strings.HasPrefix(m, key) {
				found = true
				if kv[i+1] == "-" {
					members = append(members[:j], members[j+1:]...)
				} else {
					members[j] = key + kv[i+1]
				}
				break
			}
		}
		if !found {
			members = append(members, key+kv[i+1])
		}
	}
	return "{" + strings.Join(members, ",") + "}"
}

func lines(eol string, ls ...string) []byte { return []byte(strings.Join(ls, eol) + eol) }

func ndjsonCases() {
	deep := strings.Repeat("[", 1001) + strings.Repeat("]", 1001)
	write("ndjson-rows.ndjson", lines("\n",
		obj("nd-ok"),
		obj("nd-exact", "price", "99999999.99", "product_id", "2147483647", "session_id", `"\u00e9t\u00e9 \ud83d\ude00"`),
		obj("nd-null-session", "session_id", "null"),
		obj("nd-no-session", "session_id", "-"),
		obj("nd-empty-session", "session_id", `""`),
		"",
		obj("nd-price-string", "price", `"1.50"`),
		obj("nd-price-places", "price", "1.005"),
		obj("nd-price-exponent", "price", "1.5e2"),
		obj("nd-product-range", "product_id", "2147483648"),
		obj("nd-product-fraction", "product_id", "1.0"),
		obj("nd-session-object", "session_id", `{"id":"s"}`),
		obj("nd-session-array", "session_id", `["s"]`),
		obj("nd-user-bool", "user_id", "true"),
		obj("nd-type-null", "event_type", "null"),
		obj("nd-type-spaces", "event_type", `"view "`),
		obj("nd-time-number", "event_time", "20261126"),
		obj("nd-id-nul", "event_id", `"a\u0000b"`),
		obj("nd-surrogate", "session_id", `"\ud800"`),
		obj("nd-deep", "session_id", deep),
		strings.TrimSuffix(obj("nd-dup"), "}")+`,"event_id":"nd-dup-2"}`,
		`{"event_time":"2026-11-26 10:00:00","event_type":"view","product_id":1,"price":1,"user_id":1}`,
		`[1,2,3]`,
		`"just a string"`,
		`{"event_id":"nd-cut","price":`,
		obj("nd-ok-last"),
	))
	write("ndjson-crlf.jsonl", []byte("\xef\xbb\xbf"+string(lines("\r\n", obj("nc-1"), "", obj("nc-2")))))
	write("ndjson-no-final-newline.ndjson", []byte(obj("nf-1")+"\n"+obj("nf-2")))
	write("ndjson-gzip.ndjson.gz", gz(string(lines("\n", obj("ng-1"), obj("ng-2", "price", "2.25")))))
	write("ndjson-zstd-no-suffix", zst(string(lines("\n", obj("nz-1")))))
	write("ndjson-extra-key.ndjson", lines("\n", obj("nx-1"), obj("nx-2", "colour", `"red"`)))
	write("ndjson-named.csv", lines("\n", obj("nn-1")))
	write("csv-named.ndjson", []byte(csv("\n", row("cn-1"))))
	write("ndjson-long-line.ndjson", lines("\n", obj("nl-ok"), obj("nl-big", "session_id", `"`+strings.Repeat("x", 5000)+`"`), obj("nl-ok-2")))
	var many []string
	for i := range 300 {
		many = append(many, obj(fmt.Sprintf("nm-%03d", i), "price", fmt.Sprintf("%d.%02d", i, i%100)))
	}
	write("ndjson-multi-part.ndjson", lines("\n", many...))
}
