package reconcile

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// JetStream reads streams through message lookups by sequence, which
// consume nothing and need no consumer (a work-queue stream allows only
// its own).
type JetStream struct{ JS jetstream.JetStream }

var _ Streams = JetStream{}

// Held returns the stream's messages in order, a bundle's entries each as
// a message of its own.
func (j JetStream) Held(ctx context.Context, name string) ([]Held, error) {
	st, err := j.JS.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	var out []Held
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; {
		// The next message at or after seq: interior deletions cost nothing.
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(">"))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read message at or after %d: %w", seq, err)
		}
		out = append(out, held(m)...)
		seq = m.Sequence + 1
	}
	return out, nil
}

// held is m, or the entries of m when it is a bundle (see ingest.Bundle):
// each is a file part waiting under the bundle's sequence. A damaged
// bundle is reported as itself: it names no file.
func held(m *jetstream.RawStreamMsg) []Held {
	if ingest.IsBundle(m.Header) {
		if entries, err := ingest.Unbundle(m.Header, m.Data); err == nil {
			out := make([]Held, len(entries))
			for i, e := range entries {
				out[i] = Held{Seq: m.Sequence, Subject: m.Subject, Header: e.Header}
			}
			return out
		}
	}
	return []Held{{Seq: m.Sequence, Subject: m.Subject, Header: m.Header}}
}
