package natsconn

import (
	"strings"
	"testing"
)

func TestAtLeast(t *testing.T) {
	tests := []struct {
		have string
		want bool
	}{
		{"2.9.25", false}, {"2.10.0", true}, {"2.15.2", true}, {"3.0.0", true}, {"2.10.0-beta.1", true}, {"", false},
	}
	for _, tt := range tests {
		if got := atLeast(tt.have, MinServerVersion); got != tt.want {
			t.Errorf("atLeast(%q) = %v, want %v", tt.have, got, tt.want)
		}
	}
}

func TestRedactURLs(t *testing.T) {
	tests := []struct {
		give []string
		want string
	}{
		{[]string{"nats://127.0.0.1:4222"}, "nats://127.0.0.1:4222"},
		{[]string{"nats://u:s3cret@h1:4222", " tls://h2:4222"}, "nats://u:xxxxx@h1:4222,tls://h2:4222"},
		{[]string{"nats://s3cret@h:4222"}, "nats://xxxxx@h:4222"},
		{[]string{"nats://u:s3cret@h:port"}, "(unparsable url)"},
	}
	for _, tt := range tests {
		got := RedactURLs(tt.give)
		if got != tt.want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactURLs(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestForServiceKeepsAnExplicitPrefix(t *testing.T) {
	if got := (Config{}).ForService("loader").InboxPrefix; got != "_INBOX.loader" {
		t.Errorf("default prefix = %q", got)
	}
	if got := (Config{InboxPrefix: "_INBOX.x"}).ForService("loader").InboxPrefix; got != "_INBOX.x" {
		t.Errorf("explicit prefix = %q", got)
	}
}
