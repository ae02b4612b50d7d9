package watcher

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/tributary-dev/tributary/services/watcher/internal/contractdir"
	"github.com/tributary-dev/tributary/services/watcher/internal/contracttest"
	"github.com/tributary-dev/tributary/services/watcher/internal/publish"
	"github.com/tributary-dev/tributary/shared/ingest"
)

type fakePublisher struct {
	mu       sync.Mutex
	files    []publish.File
	bodies   []string // content of each published file, read while it was published
	tried    []string // content of every publish attempt, refused ones included
	rejected []ingest.Rejection
	// rejectedTo is the contract each of rejected was published to.
	rejectedTo []string
	notices    []ingest.Rejection // every rejection notice attempted, refused ones included
	fail       error
	// hold, when not nil, keeps every file publish waiting until it is
	// closed, as the real publisher retries a full stream for as long as
	// it takes.
	hold chan struct{}
	// loseNoticeAcks makes that many rejection notices be stored but their
	// publish fail, as when the watcher dies before the ack.
	loseNoticeAcks int
	// beforeInspect runs once, when the watcher asks for its part limit:
	// after it has stat'ed the file and before it reads it.
	beforeInspect func()
	// duringPublish runs once, in the first file publish, after the body
	// was read.
	duringPublish func()
	prepared      int
	entries       map[string]publish.File // by the id Entry gave them
	messages      []int                   // files in each SendEntries
}

func (p *fakePublisher) Prepare(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prepared++
	return nil
}

func (p *fakePublisher) MaxPartBytes(limit int64) int64 {
	p.mu.Lock()
	hook := p.beforeInspect
	p.beforeInspect = nil
	p.mu.Unlock()
	if hook != nil {
		hook()
	}
	return limit
}

func (p *fakePublisher) MaxBundleBytes(limit int64) int64 { return limit }

func (p *fakePublisher) PublishFile(ctx context.Context, f publish.File) error {
	body := make([]byte, f.Layout.Size)
	if _, err := f.Content.ReadAt(body, 0); err != nil {
		return err
	}
	return p.publish(ctx, []publish.File{f}, []string{string(body)})
}

// Entry keeps the file and its content, as the real one reads its part
// into memory, behind an id its entry carries.
func (p *fakePublisher) Entry(f publish.File) (ingest.Entry, error) {
	body := make([]byte, f.Layout.Size)
	if _, err := f.Content.ReadAt(body, 0); err != nil {
		return ingest.Entry{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.entries == nil {
		p.entries = map[string]publish.File{}
	}
	id := strconv.Itoa(len(p.entries))
	p.entries[id] = f
	return ingest.Entry{Header: nats.Header{nats.MsgIdHdr: []string{id}}, Data: body}, nil
}

// SendEntries publishes the entries' files as one message: all or none.
func (p *fakePublisher) SendEntries(ctx context.Context, _ string, entries []ingest.Entry) error {
	files, bodies := make([]publish.File, len(entries)), make([]string, len(entries))
	p.mu.Lock()
	for i, e := range entries {
		files[i], bodies[i] = p.entries[e.Header.Get(nats.MsgIdHdr)], string(e.Data)
	}
	p.messages = append(p.messages, len(entries))
	p.mu.Unlock()
	return p.publish(ctx, files, bodies)
}

func (p *fakePublisher) publish(ctx context.Context, files []publish.File, bodies []string) error {
	p.mu.Lock()
	p.tried = append(p.tried, bodies...)
	hold, hook := p.hold, p.duringPublish
	p.duringPublish = nil
	p.mu.Unlock()
	if hook != nil {
		hook()
	}
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.files = append(p.files, files...)
	p.bodies = append(p.bodies, bodies...)
	return nil
}

func (p *fakePublisher) PublishRejection(_ context.Context, contract string, r ingest.Rejection) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notices = append(p.notices, r)
	if p.loseNoticeAcks > 0 {
		p.loseNoticeAcks--
		return errors.New("ack lost")
	}
	if p.fail != nil {
		return p.fail
	}
	p.rejected = append(p.rejected, r)
	p.rejectedTo = append(p.rejectedTo, contract)
	return nil
}

// snapshot runs f under the publisher's lock.
func (p *fakePublisher) snapshot(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
}

type nopObserver struct{}

func (nopObserver) FileDiscovered()                     {}
func (nopObserver) FileArchived(string, int)            {}
func (nopObserver) FileRejected(string, string)         {}
func (nopObserver) ContractsLoaded([]string)            {}
func (nopObserver) Published(int, int64, time.Duration) {}
func (nopObserver) PublishRetried()                     {}

// openContracts opens the contracts of dir as the watcher's wiring does.
func openContracts(t *testing.T, dir string) *contractdir.Dir {
	t.Helper()
	d, err := contractdir.Open(dir, time.Hour, slog.New(slog.DiscardHandler), nopObserver{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// repoContracts are the repository's own contracts: user_activity.
func repoContracts(t *testing.T) *contractdir.Dir { return openContracts(t, contracttest.RepoDir()) }
