package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// contractCorpus is the contract's fuzz seed corpus: the readable seeds
// and the inputs go test -fuzz keeps.
func contractCorpus(t *testing.T) map[string][]byte {
	t.Helper()
	const dir = "../../../../shared/contract/testdata"
	bodies := map[string][]byte{}
	seeds, _ := filepath.Glob(filepath.Join(dir, "seeds", "*.csv"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		bodies[filepath.Base(p)] = b
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "fuzz", "FuzzParse", "*"))
	for _, p := range kept {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		body, err := decodeFuzzInput(string(b))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		bodies[filepath.Base(p)] = body
	}
	if len(seeds) == 0 {
		t.Fatalf("no seeds found in %s", dir)
	}
	return bodies
}

// decodeFuzzInput reads a "go test fuzz v1" file holding one []byte.
func decodeFuzzInput(s string) ([]byte, error) {
	lines := strings.SplitN(strings.TrimSpace(s), "\n", 2)
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		return nil, errors.New("not a go test fuzz v1 file")
	}
	q, ok := strings.CutPrefix(lines[1], "[]byte(")
	if q, ok = strings.CutSuffix(q, ")"); !ok {
		return nil, errors.New("not a single []byte")
	}
	v, err := strconv.Unquote(q)
	return []byte(v), err
}

// TestContractCorpusRoundTripsThroughPostgreSQL loads every event the
// contract accepts from its fuzz corpus through the real COPY path and
// reads each back: identical in every column, nothing rounded, trimmed,
// shifted or turned into NULL.
func TestContractCorpusRoundTripsThroughPostgreSQL(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	want := map[string]contract.Event{}
	var seq uint64 = 1000
	for name, body := range contractCorpus(t) {
		accepted := 0
		r := contract.NewReader(body, 2)
		for {
			rec, ok := r.Next()
			if !ok {
				break
			}
			if rec.Err == nil {
				if _, dup := want[rec.Event.ID]; dup {
					t.Fatalf("%s repeats event_id %q of another seed: give every seed its own ids", name, rec.Event.ID)
				}
				want[rec.Event.ID] = rec.Event
				accepted++
			}
		}
		sum := sha256.Sum256(body)
		seq++
		p := &ingest.Part{FileID: hex.EncodeToString(sum[:]), FileName: name, Index: 1, Count: 1, FirstLine: 2, LandedAt: time.Now()}
		out, err := s.Apply(ctx, []store.Message{{ID: p.MsgID(), Seq: seq, Part: p, Body: body}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if out[0].Loaded != accepted {
			t.Errorf("%s: loaded %d rows, the contract accepts %d", name, out[0].Loaded, accepted)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM user_activity"); n != len(want) {
		t.Fatalf("user_activity has %d rows, want %d", n, len(want))
	}
	for id, ev := range want {
		var (
			got     contract.Event
			price   string
			session *string
		)
		err := pool.QueryRow(ctx, `SELECT event_id, event_time, event_type, product_id, price::text, user_id, session_id
			FROM user_activity WHERE event_id = $1`, id).Scan(&got.ID, &got.Time, &got.Type, &got.ProductID, &price, &got.UserID, &session)
		if errors.Is(err, pgx.ErrNoRows) {
			t.Errorf("event %q not found", id)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if session != nil {
			got.SessionID = *session
			if *session == "" {
				t.Errorf("event %q: session_id stored as '' instead of NULL", id)
			}
		}
		got.Price = ev.Price // compared as text below: PostgreSQL's own rendering
		if price != ev.Price.String() {
			t.Errorf("event %q: price %s, want %s", id, price, ev.Price)
		}
		if !got.Time.Equal(ev.Time) {
			t.Errorf("event %q: event_time %s, want %s", id, got.Time.Format(time.RFC3339Nano), ev.Time.Format(time.RFC3339Nano))
		}
		got.Time = ev.Time
		if got != ev {
			t.Errorf("stored %+v, want %+v", got, ev)
		}
	}
	t.Logf("%d accepted events from the contract's fuzz corpus stored and read back identical", len(want))
}
