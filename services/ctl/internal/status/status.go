// Package status answers "where does the pipeline stand?" in one look:
// files waiting in the data directory, messages waiting in the stream, the
// loaders' consumer, dead letters, what PostgreSQL holds, and whether each
// service says it is ready. Every source is asked independently and with a
// deadline, so a part that is down is reported as such and never hides or
// delays the others.
package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// JetStream is the part of jetstream.JetStream status reads.
type JetStream interface {
	Stream(ctx context.Context, name string) (jetstream.Stream, error)
	Consumer(ctx context.Context, stream, consumer string) (jetstream.Consumer, error)
}

// Querier runs one query; *pgx.Conn and *pgxpool.Pool are Queriers.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Service is a service's telemetry address.
type Service struct {
	Name string
	Addr string // host:port of /readyz
}

// Sources are where the status comes from. A nil JetStream or Database
// means it could not be reached; the matching error says why.
type Sources struct {
	Data        datadir.Config
	Settings    ingest.Settings
	JetStream   JetStream
	NATSErr     error
	Database    Querier
	DatabaseErr error
	ExactUpTo   int64 // tables up to this size are counted, larger ones estimated; 0: ExactUpTo
	Services    []Service
	HTTP        *http.Client
	Now         func() time.Time
}

// Snapshot is the pipeline's state at one moment. Each part is nil when
// its source could not be read, with the reason in the matching error.
type Snapshot struct {
	At time.Time

	Backlog    *datadir.Backlog
	BacklogErr error

	Stream      *jetstream.StreamState
	StreamErr   error
	Consumer    *jetstream.ConsumerInfo
	ConsumerErr error
	// Contracts are the consumers of the other contracts (loader-<name>).
	Contracts   []*jetstream.ConsumerInfo
	DeadLetters *jetstream.StreamState
	DeadErr     error

	Tables    *Tables
	TablesErr error
	Server    *Server
	ServerErr error

	Services []Readiness
}

// Readiness is one service's answer to /readyz.
type Readiness struct {
	Service
	Ready  bool
	Checks map[string]string // check name to "ok" or the failure, as the service reports them
	Err    error             // unreachable, or an answer that is not a readiness report
}

// Gather reads every source at once, each bounded by ctx.
func Gather(ctx context.Context, src Sources) *Snapshot {
	s := &Snapshot{At: src.Now().UTC(), Services: make([]Readiness, len(src.Services))}
	var wg sync.WaitGroup
	wg.Go(func() {
		b, err := src.Data.CountBacklog()
		if err != nil {
			s.BacklogErr = err
			return
		}
		s.Backlog = &b
	})
	wg.Go(func() { s.readJetStream(ctx, src) })
	wg.Go(func() { // one connection: one query at a time
		s.Tables, s.TablesErr = readTables(ctx, src)
		s.Server, s.ServerErr = readServer(ctx, src)
	})
	for i, svc := range src.Services {
		wg.Go(func() { s.Services[i] = readiness(ctx, src.HTTP, svc) })
	}
	wg.Wait()
	return s
}

func (s *Snapshot) readJetStream(ctx context.Context, src Sources) {
	if src.JetStream == nil {
		s.StreamErr, s.ConsumerErr, s.DeadErr = src.NATSErr, src.NATSErr, src.NATSErr
		return
	}
	st, err := streamState(ctx, src.JetStream, src.Settings.Stream)
	s.Stream, s.StreamErr = st, err
	if err == nil {
		s.Contracts = contractConsumers(ctx, src)
	}
	if cons, err := src.JetStream.Consumer(ctx, src.Settings.Stream, src.Settings.Consumer); err != nil {
		s.ConsumerErr = fmt.Errorf("consumer %s: %w", src.Settings.Consumer, err)
	} else if info, err := cons.Info(ctx); err != nil {
		s.ConsumerErr = fmt.Errorf("consumer %s: %w", src.Settings.Consumer, err)
	} else {
		s.Consumer = info
	}
	s.DeadLetters, s.DeadErr = streamState(ctx, src.JetStream, src.Settings.DeadLetterStream())
}

// contractConsumers lists the consumers of the contracts other than the
// default one; an error leaves them out (the default consumer's line says
// what is wrong with the stream).
func contractConsumers(ctx context.Context, src Sources) []*jetstream.ConsumerInfo {
	st, err := src.JetStream.Stream(ctx, src.Settings.Stream)
	if err != nil {
		return nil
	}
	var out []*jetstream.ConsumerInfo
	list := st.ListConsumers(ctx)
	for info := range list.Info() {
		if strings.HasPrefix(info.Name, src.Settings.Consumer+"-") {
			out = append(out, info)
		}
	}
	slices.SortFunc(out, func(a, b *jetstream.ConsumerInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func streamState(ctx context.Context, js JetStream, name string) (*jetstream.StreamState, error) {
	st, err := js.Stream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	state := st.CachedInfo().State // Stream just fetched it
	return &state, nil
}

func readiness(ctx context.Context, client *http.Client, svc Service) Readiness {
	r := Readiness{Service: svc}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+svc.Addr+"/readyz", nil)
	if err != nil {
		r.Err = err
		return r
	}
	resp, err := client.Do(req)
	if err != nil {
		r.Err = unreachable(err)
		return r
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err := json.Unmarshal(body, &r.Checks); err != nil {
		r.Err = fmt.Errorf("answered %s without a readiness report", resp.Status)
		return r
	}
	r.Ready = resp.StatusCode == http.StatusOK
	return r
}

// unreachable shortens a transport error to its cause.
func unreachable(err error) error {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return errors.New("unreachable: connection refused")
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("unreachable: no answer in time")
	}
	return fmt.Errorf("unreachable: %w", err)
}

// Failing lists the failing checks as "name: reason", sorted.
func (r Readiness) Failing() []string {
	var out []string
	for name, v := range r.Checks {
		if v != "ok" {
			out = append(out, name+": "+v)
		}
	}
	sort.Strings(out)
	return out
}
