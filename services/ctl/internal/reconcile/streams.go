package reconcile

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// JetStream reads streams through message lookups by sequence, which
// consume nothing and need no consumer (a work-queue stream allows only
// its own).
type JetStream struct{ JS jetstream.JetStream }

var _ Streams = JetStream{}

// Held returns the stream's messages in order.
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
		out = append(out, Held{Seq: m.Sequence, Subject: m.Subject, Header: m.Header})
		seq = m.Sequence + 1
	}
	return out, nil
}
