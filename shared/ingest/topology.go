// Package ingest is the one place that defines how files travel through NATS
// JetStream: the streams, the loader's durable consumer, the subjects and the
// message headers. The watcher, the loader and the ctl tool all build their
// JetStream objects from here, so they can never disagree.
package ingest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Settings are the knobs of the JetStream topology, read from the
// environment by every service that touches it.
type Settings struct {
	Stream          string        `env:"STREAM_NAME" envDefault:"INGEST" help:"JetStream stream holding landed files"`
	SubjectPrefix   string        `env:"STREAM_SUBJECT_PREFIX" envDefault:"ingest" help:"subjects are <prefix>.data and <prefix>.rejected"`
	MaxBytes        int64         `env:"STREAM_MAX_BYTES" envDefault:"1073741824" help:"backlog limit; publishes are refused (never deleted) beyond it"`
	Replicas        int           `env:"STREAM_REPLICAS" envDefault:"1" help:"stream replicas (3 on a cluster)"`
	DuplicateWindow time.Duration `env:"STREAM_DUPLICATE_WINDOW" envDefault:"2m" help:"window in which a re-published file is dropped by Nats-Msg-Id"`
	Consumer        string        `env:"CONSUMER_NAME" envDefault:"loader" help:"durable pull consumer shared by all loaders (of the default contract; another contract's is CONSUMER_NAME-<contract>)"`
	DefaultContract string        `env:"STREAM_DEFAULT_CONTRACT" envDefault:"user_activity" help:"the contract on <prefix>.data and <prefix>.rejected, as before contracts; another contract's subjects are <prefix>.data.<contract> and <prefix>.rejected.<contract>"`
	AckWait         time.Duration `env:"CONSUMER_ACK_WAIT" envDefault:"30s" help:"redelivery delay of an unacknowledged message"`
	MaxDeliver      int           `env:"CONSUMER_MAX_DELIVER" envDefault:"5" help:"failed or crashed attempts at a message (counted in PostgreSQL, not deliveries) before the loader dead-letters it"`
	MaxAckPending   int           `env:"CONSUMER_MAX_ACK_PENDING" envDefault:"1024" help:"messages in flight across all loaders"`
	DeadLetterAge   time.Duration `env:"DLQ_MAX_AGE" envDefault:"720h" help:"how long dead letters are kept"`
}

// Validate reports settings that JetStream would refuse or that break the
// pipeline's guarantees.
func (s Settings) Validate() error {
	var errs []error
	if s.Stream == "" || s.SubjectPrefix == "" || s.Consumer == "" {
		errs = append(errs, errors.New("STREAM_NAME, STREAM_SUBJECT_PREFIX and CONSUMER_NAME must be set"))
	}
	if s.MaxBytes <= 0 {
		errs = append(errs, errors.New("STREAM_MAX_BYTES must be positive: an unbounded work queue hides a stalled loader"))
	}
	if s.Replicas < 1 || s.Replicas > 5 {
		errs = append(errs, fmt.Errorf("STREAM_REPLICAS is %d, want 1 to 5", s.Replicas))
	}
	if s.MaxDeliver < 2 {
		errs = append(errs, fmt.Errorf("CONSUMER_MAX_DELIVER is %d, want at least 2", s.MaxDeliver))
	}
	if s.AckWait < time.Second {
		errs = append(errs, fmt.Errorf("CONSUMER_ACK_WAIT is %s, want at least 1s", s.AckWait))
	}
	if s.DuplicateWindow <= 0 {
		errs = append(errs, errors.New("STREAM_DUPLICATE_WINDOW must be positive"))
	}
	return errors.Join(errs...)
}

// DataSubject carries the parts of landed files of the default contract.
func (s Settings) DataSubject() string { return s.SubjectPrefix + ".data" }

// RejectedSubject carries notices of files of the default contract
// rejected as a whole.
func (s Settings) RejectedSubject() string { return s.SubjectPrefix + ".rejected" }

// Contract is the JetStream side of one contract: its subjects and the
// durable consumer its loaders share. Each contract has its own, so one
// contract's backlog, poison message or unfit table never holds another's.
type Contract struct {
	Name            string
	DataSubject     string
	RejectedSubject string
	Consumer        string
}

// IsIngestSubject reports whether subject carries ingest messages: the
// default contract's subjects or another contract's.
func (s Settings) IsIngestSubject(subject string) bool {
	for _, base := range []string{s.DataSubject(), s.RejectedSubject()} {
		if subject == base {
			return true
		}
		if name, ok := strings.CutPrefix(subject, base+"."); ok && name != "" && !strings.ContainsAny(name, ".*> ") {
			return true
		}
	}
	return false
}

// ContractTopology returns the subjects and consumer of contract name. The
// default contract keeps the names it had before contracts existed, so a
// running deployment upgrades in place.
func (s Settings) ContractTopology(name string) Contract {
	if name == s.DefaultContract {
		return Contract{Name: name, DataSubject: s.DataSubject(), RejectedSubject: s.RejectedSubject(), Consumer: s.Consumer}
	}
	return Contract{Name: name, DataSubject: s.DataSubject() + "." + name,
		RejectedSubject: s.RejectedSubject() + "." + name, Consumer: s.Consumer + "-" + name}
}

// DeadLetterStream is the stream of messages that failed MaxDeliver times.
func (s Settings) DeadLetterStream() string { return s.Stream + "_DLQ" }

// DeadLetterSubject is where the loader files dead letters.
func (s Settings) DeadLetterSubject() string { return "dlq." + s.SubjectPrefix }

// StreamConfig is the work queue of landed files. WorkQueue retention drops a
// message once the loader acknowledges it, so MaxBytes bounds the backlog,
// not history; Discard New makes a full stream refuse publishes (the watcher
// keeps the file and retries) instead of silently deleting unloaded data.
func (s Settings) StreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        s.Stream,
		Description: "Landed CSV files waiting to be loaded into PostgreSQL",
		Subjects:    []string{s.SubjectPrefix + ".>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		MaxBytes:    s.MaxBytes,
		Replicas:    s.Replicas,
		Duplicates:  s.DuplicateWindow,
	}
}

// ConsumerConfig is the durable pull consumer of the default contract; see
// ContractConsumerConfig.
func (s Settings) ConsumerConfig() jetstream.ConsumerConfig {
	return s.ContractConsumerConfig(s.ContractTopology(s.DefaultContract))
}

// ContractConsumerConfig is the durable pull consumer every loader of a
// contract shares. Its filter is the contract's two subjects: consumers of
// a work-queue stream must not overlap. It has no
// InactiveThreshold: a durable that vanished while loaders were down would
// lose its place. Its server-side MaxDeliver is unlimited on purpose: the
// loader enforces the delivery budget (Settings.MaxDeliver) and dead-letters
// a message itself; a server-side limit would strand a message whose last
// delivery met a crash, un-acknowledged forever and holding the ack floor.
func (s Settings) ContractConsumerConfig(c Contract) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        c.Consumer,
		Description:    "Loads landed files of contract " + c.Name + " into PostgreSQL",
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        s.AckWait,
		MaxDeliver:     -1,
		MaxAckPending:  s.MaxAckPending,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		FilterSubjects: []string{c.DataSubject, c.RejectedSubject},
		Replicas:       s.Replicas,
	}
}

// DeadLetterStreamConfig keeps failed messages, payload and headers, for
// inspection and re-drive.
func (s Settings) DeadLetterStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        s.DeadLetterStream(),
		Description: "Messages the loader could not process after CONSUMER_MAX_DELIVER failed or crashed attempts",
		Subjects:    []string{s.DeadLetterSubject()},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      s.DeadLetterAge,
		Replicas:    s.Replicas,
		Duplicates:  s.DuplicateWindow,
	}
}
