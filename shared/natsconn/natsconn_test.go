package natsconn

import (
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

func TestForServiceKeepsAnExplicitPrefix(t *testing.T) {
	if got := (Config{}).ForService("loader").InboxPrefix; got != "_INBOX.loader" {
		t.Errorf("default prefix = %q", got)
	}
	if got := (Config{InboxPrefix: "_INBOX.x"}).ForService("loader").InboxPrefix; got != "_INBOX.x" {
		t.Errorf("explicit prefix = %q", got)
	}
}
