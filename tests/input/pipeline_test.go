// Package input lands bad, hostile and huge input on the real pipeline
// (watcher and loader from their fx modules, embedded NATS, real
// PostgreSQL) and checks that every good row loads, every bad one is
// explained, and nothing stalls or leaks.
package input

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/harness"
)

// pipeline is a running watcher and loader with what they said and sent.
type pipeline struct {
	*harness.Env
	nc      *nats.Conn
	js      jetstream.JetStream
	logs    *logBook
	traffic *traffic
}

// startPipeline starts a watcher and a loader as shipped (NATS with its
// identities and permissions, the loader as the least-privilege database
// role) on a fresh environment, recording their logs as JSON and every
// message that crosses NATS (seen as the admin identity).
func startPipeline(t *testing.T, vars map[string]string) *pipeline {
	t.Helper()
	env := harness.NewSecure(t)
	for k, v := range vars {
		env.Vars[k] = v
	}
	book := &logBook{}
	env.Logs = book
	t.Cleanup(func() {
		if t.Failed() {
			for _, rec := range book.all() {
				b, _ := json.Marshal(rec)
				t.Logf("log: %s", b)
			}
		}
	})
	nc := harness.Admin(t, env.Creds, env.NATS)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline{Env: env, nc: nc, js: js, logs: book, traffic: recordTraffic(t, nc)}
	env.Watcher(nil)
	env.Loader(nil)
	return p
}

// idle waits until nothing is left to do: input holds only the names in
// left (files the watcher ignores on purpose), nothing is claimed, and the
// stream holds no message (every part and notice was committed and acked).
func (p *pipeline) idle(timeout time.Duration, left ...string) {
	p.T.Helper()
	p.Eventually(timeout, "the pipeline to finish with every file: "+p.Describe(), func() bool {
		for _, name := range p.Files(datadir.Input) {
			if !slices.Contains(left, name) {
				return false
			}
		}
		if claimed, _ := os.ReadDir(filepath.Join(p.Data.Path(datadir.Claimed), "w1")); len(claimed) > 0 {
			return false
		}
		return p.streamMsgs("INGEST") == 0
	})
}

func (p *pipeline) streamMsgs(name string) uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := p.js.Stream(ctx, name)
	if err != nil {
		return 1 << 62 // not there yet
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 1 << 62
	}
	return info.State.Msgs
}

// logBook holds the JSON log records the services wrote: an io.Writer of
// JSON lines. Lines that are not one JSON object would be an injection.
type logBook struct {
	mu      sync.Mutex
	partial []byte
	records []map[string]any
	bad     []string
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
		line := b.partial[:i]
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			b.bad = append(b.bad, string(line))
		} else {
			b.records = append(b.records, rec)
		}
		b.partial = b.partial[i+1:]
	}
}

func (b *logBook) all() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.records)
}

// find returns the records with msg whose attributes include attrs.
func (b *logBook) find(msg string, attrs map[string]string) []map[string]any {
	var out []map[string]any
	for _, rec := range b.all() {
		if rec["msg"] != msg {
			continue
		}
		match := true
		for k, v := range attrs {
			if s, _ := rec[k].(string); s != v {
				match = false
			}
		}
		if match {
			out = append(out, rec)
		}
	}
	return out
}

// wait gives the log pipe time to deliver, and returns how many records
// with msg and attrs there are once there are want of them, or after 5s.
func (b *logBook) wait(msg string, attrs map[string]string, want int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := len(b.find(msg, attrs))
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitOne waits a few seconds for any of msgs with attrs, and returns how
// many records of them all there are.
func (b *logBook) waitOne(msgs []string, attrs map[string]string) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := 0
		for _, m := range msgs {
			n += len(b.find(m, attrs))
		}
		if n >= 1 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// injected returns output lines that were not a single JSON record.
func (b *logBook) injected() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.bad)
}

// contains reports whether any log record mentions s.
func (b *logBook) contains(s string) bool {
	hits, _ := b.matches(s)
	return hits > 0
}

// matches counts the log records that mention s, out of all of them.
func (b *logBook) matches(s string) (hits, total int) {
	all := b.all()
	for _, rec := range all {
		raw, _ := json.Marshal(rec)
		if strings.Contains(string(raw), s) {
			hits++
		}
	}
	return hits, len(all)
}

// traffic records every message that crosses the NATS server: publishes
// to the stream, dead letters, JetStream API replies.
type traffic struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func recordTraffic(t *testing.T, nc *nats.Conn) *traffic {
	t.Helper()
	tr := &traffic{}
	sub, err := nc.Subscribe(">", func(m *nats.Msg) {
		tr.mu.Lock()
		tr.msgs = append(tr.msgs, m)
		tr.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return tr
}

// contains reports whether s appears in any recorded subject, header or
// payload.
func (tr *traffic) contains(s string) bool {
	hits, _ := tr.matches(s)
	return hits > 0
}

// matches counts the recorded messages whose subject, headers or payload
// hold s, out of all of them.
func (tr *traffic) matches(s string) (hits, total int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, m := range tr.msgs {
		found := strings.Contains(m.Subject, s) || strings.Contains(string(m.Data), s)
		for k, vs := range m.Header {
			found = found || strings.Contains(k, s) || slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, s) })
		}
		if found {
			hits++
		}
	}
	return hits, len(tr.msgs)
}

// subjects returns the distinct subjects seen outside the JetStream API.
func (tr *traffic) subjects() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []string
	for _, m := range tr.msgs {
		if strings.HasPrefix(m.Subject, "$JS.") || strings.HasPrefix(m.Subject, "_INBOX.") || strings.HasPrefix(m.Subject, "$SYS.") {
			continue
		}
		if !slices.Contains(out, m.Subject) {
			out = append(out, m.Subject)
		}
	}
	slices.Sort(out)
	return out
}

// strings runs a query returning one text column.
func (p *pipeline) strings(sql string, args ...any) []string {
	p.T.Helper()
	rows, err := p.Pool.Query(p.T.Context(), sql, args...)
	if err != nil {
		p.T.Fatalf("%s: %v", sql, err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			p.T.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
