// Package security proves the shipped least-privilege settings: each
// identity can do its job and is refused everything else with the server's
// permission error.
package security

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/secrets"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
	"github.com/tributary-dev/tributary/tests/harness"
)

// client is a connection as one identity that records the server's
// asynchronous errors, which is how NATS reports a permissions violation.
type client struct {
	role string
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

func connectAs(t *testing.T, s *server.Server, creds *secrets.Set, role string) *client {
	t.Helper()
	c := &client{role: role, errs: make(chan error, 64)}
	auth, err := nats.NkeyOptionFromSeed(creds.NATS[role].SeedFile)
	if err != nil {
		t.Fatal(err)
	}
	c.nc, err = nats.Connect(s.ClientURL(), auth, nats.CustomInboxPrefix("_INBOX."+role),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { c.errs <- err }))
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	t.Cleanup(c.nc.Close)
	if c.js, err = jetstream.New(c.nc); err != nil {
		t.Fatal(err)
	}
	return c
}

// denied runs op, which must fail, and waits for the server's permissions
// violation naming subject.
func (c *client) denied(t *testing.T, what, subject string, op func(ctx context.Context) error) {
	t.Helper()
	for len(c.errs) > 0 {
		<-c.errs
	}
	// A refused request gets no reply: it fails by timing out.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	opErr := op(ctx)
	want := fmt.Sprintf("%q", subject)
	deadline := time.After(3 * time.Second)
	for {
		select {
		case err := <-c.errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), want) {
				if opErr == nil {
					t.Errorf("%s %s: the server refused it (%v) but the call reported success", c.role, what, err)
				}
				t.Logf("%-7s %-34s -> %v", c.role, what, err)
				return
			}
		case <-deadline:
			t.Errorf("%s %s: no permissions violation for %s (call returned %v)", c.role, what, want, opErr)
			return
		}
	}
}

func TestNATSPermissions(t *testing.T) {
	creds := harness.Credentials(t)
	s := natstest.Start(t, harness.ShippedNATSOptions(t, "deployments/nats/nats.conf", creds))
	settings := ingestSettings(t)
	ctx := t.Context()

	watcher := connectAs(t, s, creds, secrets.Watcher)
	loader := connectAs(t, s, creds, secrets.Loader)
	reader := connectAs(t, s, creds, secrets.Reader)
	admin := connectAs(t, s, creds, secrets.Admin)

	// Each service can do its job: the watcher owns the stream and
	// publishes, the loader owns its consumer and the dead-letter stream.
	if _, err := watcher.js.CreateOrUpdateStream(ctx, settings.StreamConfig()); err != nil {
		t.Fatalf("watcher creates its stream: %v", err)
	}
	if _, err := watcher.js.CreateOrUpdateStream(ctx, settings.StreamConfig()); err != nil {
		t.Fatalf("watcher updates its stream: %v", err)
	}
	if _, err := watcher.js.Publish(ctx, settings.DataSubject(), []byte("a")); err != nil {
		t.Fatalf("watcher publishes: %v", err)
	}
	cons, err := loader.js.CreateOrUpdateConsumer(ctx, settings.Stream, settings.ConsumerConfig())
	if err != nil {
		t.Fatalf("loader creates its consumer: %v", err)
	}
	if _, err := loader.js.CreateOrUpdateStream(ctx, settings.DeadLetterStreamConfig()); err != nil {
		t.Fatalf("loader creates the dead-letter stream: %v", err)
	}
	if _, err := loader.js.Publish(ctx, settings.DeadLetterSubject(), []byte("dead")); err != nil {
		t.Fatalf("loader files a dead letter: %v", err)
	}
	if _, err := reader.js.Stream(ctx, settings.Stream); err != nil {
		t.Fatalf("reader reads stream info: %v", err)
	}
	if _, err := reader.js.Consumer(ctx, settings.Stream, settings.Consumer); err != nil {
		t.Fatalf("reader reads consumer info: %v", err)
	}
	// `task nats:peek` shows the next message the loaders will get.
	if st, err := reader.js.Stream(ctx, settings.Stream); err != nil {
		t.Fatal(err)
	} else if m, err := st.GetMsg(ctx, 1); err != nil || string(m.Data) != "a" {
		t.Fatalf("reader reads the oldest message of %s: %v", settings.Stream, err)
	}

	t.Run("watcher cannot consume or delete the stream", func(t *testing.T) {
		watcher.denied(t, "fetch from the loader's consumer", "$JS.API.CONSUMER.MSG.NEXT.INGEST.loader", func(ctx context.Context) error {
			_, err := watcher.nc.RequestWithContext(ctx, "$JS.API.CONSUMER.MSG.NEXT.INGEST.loader", []byte(`{"batch":1}`))
			return err
		})
		watcher.denied(t, "create a consumer of its own", "$JS.API.CONSUMER.CREATE.INGEST.spy.ingest.>", func(ctx context.Context) error {
			_, err := watcher.js.CreateConsumer(ctx, "INGEST", jetstream.ConsumerConfig{Durable: "spy", FilterSubject: "ingest.>"})
			return err
		})
		watcher.denied(t, "read a stored message", "$JS.API.STREAM.MSG.GET.INGEST", func(ctx context.Context) error {
			_, err := watcher.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.INGEST", []byte(`{"seq":1}`))
			return err
		})
		watcher.denied(t, "subscribe to the ingest subjects", "ingest.>", func(ctx context.Context) error {
			_, err := watcher.nc.SubscribeSync("ingest.>")
			if err == nil {
				err = watcher.nc.FlushWithContext(ctx) // the refusal comes asynchronously
				if err == nil {
					err = errors.New("subscription refused asynchronously")
				}
			}
			return err
		})
		watcher.denied(t, "read the loader's deliveries", "_INBOX.loader.>", func(ctx context.Context) error {
			_, err := watcher.nc.SubscribeSync("_INBOX.loader.>")
			if err == nil {
				err = errors.New("subscription refused asynchronously")
			}
			return err
		})
		watcher.denied(t, "purge the stream", "$JS.API.STREAM.PURGE.INGEST", func(ctx context.Context) error {
			_, err := watcher.nc.RequestWithContext(ctx, "$JS.API.STREAM.PURGE.INGEST", nil)
			return err
		})
		watcher.denied(t, "delete the stream", "$JS.API.STREAM.DELETE.INGEST", func(ctx context.Context) error {
			return watcher.js.DeleteStream(ctx, "INGEST")
		})
		watcher.denied(t, "delete the loader's consumer", "$JS.API.CONSUMER.DELETE.INGEST.loader", func(ctx context.Context) error {
			return watcher.js.DeleteConsumer(ctx, "INGEST", "loader")
		})
	})

	t.Run("loader cannot publish into the ingest subjects", func(t *testing.T) {
		for _, subject := range []string{settings.DataSubject(), settings.RejectedSubject()} {
			loader.denied(t, "publish to "+subject, subject, func(ctx context.Context) error {
				_, err := loader.js.Publish(ctx, subject, []byte("forged"))
				return err
			})
		}
		loader.denied(t, "delete the stream", "$JS.API.STREAM.DELETE.INGEST", func(ctx context.Context) error {
			return loader.js.DeleteStream(ctx, "INGEST")
		})
		loader.denied(t, "change the stream", "$JS.API.STREAM.UPDATE.INGEST", func(ctx context.Context) error {
			_, err := loader.js.UpdateStream(ctx, settings.StreamConfig())
			return err
		})
		// It creates the consumers of the contracts (any name: a subject
		// token cannot match "loader-*"), but deletes none: a deleted
		// durable would lose its place in the stream.
		loader.denied(t, "delete a consumer", "$JS.API.CONSUMER.DELETE.INGEST.loader", func(ctx context.Context) error {
			return loader.js.DeleteConsumer(ctx, "INGEST", "loader")
		})
	})

	t.Run("reader changes nothing", func(t *testing.T) {
		reader.denied(t, "publish to "+settings.DataSubject(), settings.DataSubject(), func(ctx context.Context) error {
			_, err := reader.js.Publish(ctx, settings.DataSubject(), []byte("forged"))
			return err
		})
		reader.denied(t, "delete the stream", "$JS.API.STREAM.DELETE.INGEST", func(ctx context.Context) error {
			return reader.js.DeleteStream(ctx, "INGEST")
		})
		reader.denied(t, "fetch from the loader's consumer", "$JS.API.CONSUMER.MSG.NEXT.INGEST.loader", func(ctx context.Context) error {
			_, err := reader.nc.RequestWithContext(ctx, "$JS.API.CONSUMER.MSG.NEXT.INGEST.loader", []byte(`{"batch":1}`))
			return err
		})
	})

	t.Run("nothing was lost or forged", func(t *testing.T) {
		info, err := admin.js.Stream(ctx, "INGEST")
		if err != nil {
			t.Fatal(err)
		}
		if n := info.CachedInfo().State.Msgs; n != 1 {
			t.Fatalf("stream holds %d messages, want the watcher's 1", n)
		}
		// The loader consumes and acknowledges what the watcher published.
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var got int
		for m := range batch.Messages() {
			if string(m.Data()) != "a" {
				t.Errorf("loader got %q", m.Data())
			}
			if err := m.DoubleAck(ctx); err != nil {
				t.Fatalf("loader acks: %v", err)
			}
			got++
		}
		if got != 1 {
			t.Fatalf("loader fetched %d messages, want 1 (%v)", got, batch.Error())
		}
	})

	t.Run("admin manages everything", func(t *testing.T) {
		if err := admin.js.DeleteStream(ctx, "INGEST"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestNATSRefusesUnknownClients(t *testing.T) {
	creds := harness.Credentials(t)
	s := natstest.Start(t, harness.ShippedNATSOptions(t, "deployments/nats/nats.conf", creds))
	_, err := nats.Connect(s.ClientURL())
	if err == nil || !strings.Contains(err.Error(), "Authorization Violation") {
		t.Fatalf("anonymous connect: %v, want an authorization violation", err)
	}
	t.Logf("anonymous    -> %v", err)
	stranger := harness.Credentials(t) // valid nkeys the server does not know
	auth, _ := nats.NkeyOptionFromSeed(stranger.NATS[secrets.Admin].SeedFile)
	_, err = nats.Connect(s.ClientURL(), auth)
	if err == nil || !strings.Contains(err.Error(), "Authorization Violation") {
		t.Fatalf("unknown nkey: %v, want an authorization violation", err)
	}
	t.Logf("unknown nkey -> %v", err)
}

func ingestSettings(t *testing.T) ingest.Settings {
	t.Helper()
	s := ingest.Settings{
		Stream: "INGEST", SubjectPrefix: "ingest", MaxBytes: 1 << 20, Replicas: 1, DuplicateWindow: time.Minute,
		Consumer: "loader", AckWait: 5 * time.Second, MaxDeliver: 5, MaxAckPending: 64, DeadLetterAge: time.Hour,
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}
