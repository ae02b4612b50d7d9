package postgres

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct{ give, want string }{
		{"postgres://u:s3cret@h:5432/db?sslmode=verify-full", "postgres://u:xxxxx@h:5432/db?sslmode=verify-full"},
		{"postgres://u@h/db?password=s3cret", "postgres://u@h/db?password=xxxxx"},
		{"host=h user=u password=s3cret dbname=db", "host=h user=u password=xxxxx dbname=db"},
		{"host=h password='s3 cret' dbname=db", "host=h password=xxxxx dbname=db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
	}
	for _, tt := range tests {
		if got := Redact(tt.give); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestPoolConfigErrorHidesPassword(t *testing.T) {
	c := Config{URL: "postgres://u:s3cret@h:notaport/db", MaxConns: 1}
	_, err := c.PoolConfig("test")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v", err)
	}
}

func TestRedactUnparsableURL(t *testing.T) {
	if got := Redact("postgres://u:s3cret@h:notaport/db"); strings.Contains(got, "s3cret") {
		t.Errorf("Redact leaked: %q", got)
	}
}
