package natsconn

import (
	"net/url"
	"strings"
)

// RedactURLs hides passwords and tokens in a comma-separated list of NATS
// URLs ("nats://user:secret@host" becomes "nats://user:xxxxx@host", a token
// "nats://secret@host" becomes "nats://xxxxx@host"), for logs, errors and
// status output.
func RedactURLs(urls ...string) string {
	var out []string
	for _, list := range urls {
		for _, s := range strings.Split(list, ",") {
			out = append(out, redactURL(strings.TrimSpace(s)))
		}
	}
	return strings.Join(out, ",")
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return "(unparsable URL with credentials)"
		}
		return s
	}
	if u.User == nil {
		return s
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		return u.Redacted()
	}
	u.User = url.User("xxxxx") // a bare user part is a token
	return u.String()
}
