// Package natsconn connects a service to NATS with the options a pipeline
// needs in production: endless reconnects, credentials from files, optional
// TLS, and logging of every connection state change.
package natsconn

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/secrets"
)

// MinServerVersion is the oldest nats-server the pipeline's JetStream
// features (Discard New on work queues, consumer filters, BackOff) are
// known to work with.
const MinServerVersion = "2.10.0"

// Config says where and as whom to connect. Secrets are read from files
// (the *_FILE convention) so they never appear in the environment or in a
// process listing.
type Config struct {
	URL          string `env:"NATS_URL" envDefault:"nats://127.0.0.1:4222" help:"NATS server URL(s), comma separated"`
	CredsFile    string `env:"NATS_CREDS_FILE" help:"NATS credentials file (JWT + nkey seed)"`
	NkeyFile     string `env:"NATS_NKEY_FILE" help:"file holding an nkey seed"`
	User         string `env:"NATS_USER" help:"user name for password authentication"`
	PasswordFile string `env:"NATS_PASSWORD_FILE" help:"file holding the password of NATS_USER"`
	CAFile       string `env:"NATS_CA_FILE" help:"CA certificate to verify the server (enables TLS)"`
	CertFile     string `env:"NATS_CERT_FILE" help:"client certificate for mutual TLS"`
	KeyFile      string `env:"NATS_KEY_FILE" help:"client key for mutual TLS"`
	InboxPrefix  string `env:"NATS_INBOX_PREFIX" help:"prefix of reply subjects (default _INBOX.<service>): the server lets each identity subscribe to its own only"`
}

// ForService fills in what defaults per service: the inbox prefix
// _INBOX.<service>, which deployments/nats/auth.conf allows that service's
// identity, and only it, to subscribe to.
func (c Config) ForService(service string) Config {
	if c.InboxPrefix == "" {
		c.InboxPrefix = "_INBOX." + service
	}
	return c
}

// Validate checks that options which go together are given together.
func (c *Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("NATS_URL is empty"))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("NATS_CERT_FILE and NATS_KEY_FILE go together"))
	}
	if (c.User == "") != (c.PasswordFile == "") {
		errs = append(errs, errors.New("NATS_USER and NATS_PASSWORD_FILE go together"))
	}
	return errors.Join(errs...)
}

// Connect dials NATS. It returns at once even when the server is not up yet:
// the client keeps retrying in the background, so a service starts in
// milliseconds and becomes ready when NATS does.
func Connect(c Config, name string, log *slog.Logger) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		// A server behind a cut link is noticed only by pings: two
		// unanswered ones every 5 s move the client to another node within
		// about 15 s (with 10 s it took up to 35 s in the partition tests).
		nats.PingInterval(5 * time.Second),
		nats.MaxPingsOutstanding(2),
		// A write to such a server blocks once the socket buffer is full,
		// and the client holds its lock meanwhile: no ping goes out. The
		// default write deadline (1 minute) stalled a watcher that long.
		nats.FlusherTimeout(5 * time.Second),
		// Keep retrying after repeated authorization errors too (credentials
		// being rotated on the server): the default gives up for good.
		nats.IgnoreAuthErrorAbort(),
		nats.ConnectHandler(func(nc *nats.Conn) {
			log.Info("nats connected", "url", nc.ConnectedUrlRedacted(), "server_version", nc.ConnectedServerVersion())
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Warn("nats async error", "subject", subject, "err", err)
		}),
	}
	auth, err := c.authOptions()
	if err != nil {
		return nil, err
	}
	opts = append(opts, auth...)
	nc, err := nats.Connect(c.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats: %w", err)
	}
	return nc, nil
}

func (c Config) authOptions() ([]nats.Option, error) {
	var opts []nats.Option
	if c.InboxPrefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(c.InboxPrefix))
	}
	switch {
	case c.CredsFile != "":
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	case c.NkeyFile != "":
		opt, err := nats.NkeyOptionFromSeed(c.NkeyFile)
		if err != nil {
			return nil, fmt.Errorf("read NATS_NKEY_FILE: %w", err)
		}
		opts = append(opts, opt)
	case c.User != "":
		password, err := secrets.Read(c.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("read NATS_PASSWORD_FILE: %w", err)
		}
		opts = append(opts, nats.UserInfo(c.User, password))
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	if c.CertFile != "" {
		opts = append(opts, nats.ClientCert(c.CertFile, c.KeyFile))
	}
	return opts, nil
}

// CheckServer fails with a clear message when the connected server is too
// old or has JetStream off: both produce baffling errors later otherwise.
func CheckServer(nc *nats.Conn) error {
	if !nc.IsConnected() {
		return fmt.Errorf("not connected to nats at %s", RedactURLs(nc.Opts.Servers...))
	}
	v := nc.ConnectedServerVersion()
	if !atLeast(v, MinServerVersion) {
		return fmt.Errorf("nats-server %s at %s is too old: the pipeline needs %s or newer (run `go tool nats-server`)", v, nc.ConnectedUrlRedacted(), MinServerVersion)
	}
	return nil
}

// IsJetStreamOff reports whether err means the server runs without JetStream.
func IsJetStreamOff(err error) bool {
	return errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount)
}

func atLeast(have, want string) bool {
	h, w := versionParts(have), versionParts(want)
	for i := range w {
		if h[i] != w[i] {
			return h[i] > w[i]
		}
	}
	return true
}

func versionParts(v string) [3]int {
	var out [3]int
	v, _, _ = strings.Cut(strings.TrimPrefix(v, "v"), "-")
	for i, p := range strings.SplitN(v, ".", 3) {
		out[i], _ = strconv.Atoi(p)
	}
	return out
}
