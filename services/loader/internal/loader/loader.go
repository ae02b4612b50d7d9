// Package loader runs the loader's workers: each pulls a micro-batch from
// the durable consumer, applies it to PostgreSQL in one transaction and
// acknowledges it only after COMMIT. While PostgreSQL is unavailable a
// worker holds its batch (telling JetStream it is still in progress) and
// retries with backoff, so an outage burns no delivery attempts; a message
// whose content PostgreSQL refuses is isolated, retried a bounded number of
// times, then dead-lettered, while the rest of its batch loads. The budget
// is counted in PostgreSQL (see Budget), not from JetStream's delivery
// count, so restarts and outages spend none of it.
package loader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/services/loader/internal/fetch"
	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/logging"
	"github.com/tributary-dev/tributary/shared/natsconn"
)

// Store applies batches; see package store.
type Store interface {
	Apply(ctx context.Context, msgs []store.Message) ([]store.Outcome, error)
}

// DeadLetters keeps messages the loader gave up on; see package deadletter.
type DeadLetters interface {
	Prepare(ctx context.Context) error
	// Send stores a message the loader gave up on: a delivered message, or
	// an entry of a bundle as the message it would have been alone.
	Send(ctx context.Context, subject string, h nats.Header, data []byte, seq, deliveries uint64, reason string) error
}

// JetStream is the part of jetstream.JetStream the loader uses to manage
// its consumer.
type JetStream interface {
	Stream(ctx context.Context, name string) (jetstream.Stream, error)
	CreateOrUpdateConsumer(ctx context.Context, stream string, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error)
}

// Observer is told what happens, for metrics.
type Observer interface {
	// BatchCommitted reports a committed transaction: the messages it
	// applied or skipped (a bundle's files each count as one), the rows
	// it loaded and rejected, the messages among them it skipped as
	// already loaded, and how long it took.
	BatchCommitted(messages, loaded, rejected, skipped int, took time.Duration)
	Landed(latency time.Duration)
	Redelivered()
	Retried()
	DeadLettered()
}

// Config tunes the workers.
type Config struct {
	Workers    int
	Limits     fetch.Limits
	MaxDeliver int           // failed or crashed attempts at a message before it is dead-lettered
	AckWait    time.Duration // the consumer's; progress is reported well within it
	MaxBackoff time.Duration // longest pause between retries while PostgreSQL is down
	// DeadLetterWait bounds the time spent storing one dead letter (AckWait
	// when zero); after it the message is handed back for later.
	DeadLetterWait time.Duration
	// Contract is the subjects and consumer of the contract loaded; the
	// default contract's when zero.
	Contract ingest.Contract
}

// Loader consumes the ingest stream into PostgreSQL.
type Loader struct {
	cfg      Config
	settings ingest.Settings
	js       JetStream
	check    func() error                    // is NATS usable (connected, recent enough)?
	migrate  func(ctx context.Context) error // brings the schema up to date; may be nil
	store    Store
	dlq      DeadLetters
	budget   Budget
	obs      Observer
	log      *slog.Logger
	now      func() time.Time

	mu       sync.Mutex
	consumer jetstream.Consumer
}

// Deps are the loader's collaborators.
type Deps struct {
	JetStream   JetStream
	CheckNATS   func() error                    // is NATS usable? see natsconn.CheckServer
	Migrate     func(ctx context.Context) error // brings the schema up to date; nil to skip
	Store       Store
	DeadLetters DeadLetters
	Budget      Budget
	Observer    Observer
	Log         *slog.Logger
	Now         func() time.Time
}

// New returns a Loader.
func New(cfg Config, settings ingest.Settings, d Deps) *Loader {
	if cfg.DeadLetterWait <= 0 {
		cfg.DeadLetterWait = cfg.AckWait
	}
	if cfg.Contract.Consumer == "" {
		cfg.Contract = settings.ContractTopology(settings.DefaultContract)
	}
	return &Loader{cfg: cfg, settings: settings, js: d.JetStream, check: d.CheckNATS, migrate: d.Migrate,
		store: d.Store, dlq: d.DeadLetters, budget: d.Budget, obs: d.Observer, log: d.Log, now: d.Now}
}

// Ready reports whether the consumer exists and answers.
func (l *Loader) Ready(ctx context.Context) error {
	l.mu.Lock()
	cons := l.consumer
	l.mu.Unlock()
	if cons == nil {
		return errors.New("consumer not set up yet")
	}
	_, err := cons.Info(ctx)
	return err
}

// Run loads until ctx ends. Messages in flight when it ends are handed
// back (negatively acknowledged) for another loader to take at once.
func (l *Loader) Run(ctx context.Context) error {
	if err := l.prepare(ctx); err != nil {
		return err
	}
	l.log.Info("loading", "stream", l.settings.Stream, "consumer", l.cfg.Contract.Consumer, "workers", l.cfg.Workers) // the logger names the contract
	var wg sync.WaitGroup
	for range l.cfg.Workers {
		wg.Go(func() { l.work(ctx) })
	}
	wg.Wait()
	return nil
}

// prepare migrates the schema, waits for the stream (the watcher owns it)
// and creates or updates the durable consumer and the dead-letter stream.
// Either server may come up after the loader: it waits for both.
func (l *Loader) prepare(ctx context.Context) error {
	migrated := l.migrate == nil
	return retry(ctx, l.cfg.MaxBackoff, func(err error, wait time.Duration) {
		l.log.Warn("not ready to load yet; retrying", "retry_in", wait.Round(time.Millisecond), logging.Err(err))
	}, func() error {
		if !migrated {
			if err := l.migrate(ctx); err != nil {
				return err
			}
			migrated = true
		}
		if err := l.check(); err != nil {
			return err
		}
		_, err := l.js.Stream(ctx, l.settings.Stream)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("stream %s does not exist yet (the watcher creates it)", l.settings.Stream)
		}
		if err != nil {
			return fmt.Errorf("look up stream %s: %w", l.settings.Stream, err)
		}
		return l.recreateConsumer(ctx)
	})
}

func (l *Loader) recreateConsumer(ctx context.Context) error {
	cons, err := l.js.CreateOrUpdateConsumer(ctx, l.settings.Stream, l.settings.ContractConsumerConfig(l.cfg.Contract))
	if err != nil {
		if natsconn.IsJetStreamOff(err) {
			return fmt.Errorf("jetstream is not enabled on the server: %w", err)
		}
		return fmt.Errorf("create or update consumer %s: %w", l.cfg.Contract.Consumer, err)
	}
	if err := l.dlq.Prepare(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	l.consumer = cons
	l.mu.Unlock()
	return nil
}

func (l *Loader) currentConsumer() jetstream.Consumer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.consumer
}

func (l *Loader) work(ctx context.Context) {
	for ctx.Err() == nil {
		msgs, err := fetch.New(l.currentConsumer(), l.cfg.Limits).Next(ctx)
		if len(msgs) > 0 {
			if ctx.Err() != nil {
				nakAll(msgs)
				return
			}
			l.handle(ctx, msgs)
		}
		if err == nil || ctx.Err() != nil {
			continue
		}
		if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
			// Deleted by hand: a running fetch would never notice (nats.go#1729).
			l.log.Warn("consumer is gone; creating it again", "consumer", l.cfg.Contract.Consumer)
			if err := l.prepare(ctx); err != nil {
				return
			}
			continue
		}
		l.log.Warn("fetch failed; retrying", logging.Err(err))
		sleep(ctx, time.Second)
	}
}

func nakAll(msgs []jetstream.Msg) {
	for _, m := range msgs {
		_ = m.Nak()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
