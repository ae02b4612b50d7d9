package contracts

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
)

// logBook collects the services' JSON log lines.
type logBook struct {
	mu      sync.Mutex
	partial []byte
	records []map[string]any
}

func (b *logBook) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		var rec map[string]any
		if json.Unmarshal(b.partial[:i], &rec) == nil {
			b.records = append(b.records, rec)
		}
		b.partial = b.partial[i+1:]
	}
}

// has reports whether a record with msg has an attribute holding want.
func (b *logBook) has(msg, want string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, rec := range b.records {
		if rec["msg"] != msg {
			continue
		}
		for _, v := range rec {
			if s, ok := v.(string); ok && strings.Contains(s, want) {
				return true
			}
		}
	}
	return false
}
