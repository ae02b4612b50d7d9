package natsconn

import "testing"

func TestRedactURLs(t *testing.T) {
	tests := []struct{ give, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://app:s3cret@host:4222", "nats://app:xxxxx@host:4222"},
		{"nats://s3cret-token@host:4222", "nats://xxxxx@host:4222"},
		{"nats://a:p1@h1:4222, nats://h2:4222", "nats://a:xxxxx@h1:4222,nats://h2:4222"},
		{"nats://a:p%zz@h1", "(unparsable URL with credentials)"},
	}
	for _, tt := range tests {
		if got := RedactURLs(tt.give); got != tt.want {
			t.Errorf("RedactURLs(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
