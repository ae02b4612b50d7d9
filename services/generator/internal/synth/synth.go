// Package synth invents plausible e-commerce events: users browsing products
// in sessions, a share of views turning into purchases. The content is
// deterministic for a seed; event ids are not, so two runs with one seed
// never collide.
package synth

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/tributary-dev/tributary/shared/contract"
)

// Options shape the synthetic population.
type Options struct {
	Seed          uint64
	PurchaseRatio float64 // share of events that are purchases, 0..1
	Products      int
	Users         int
	Sessions      int  // sessions open at any moment
	RandomIDs     bool // UUIDv4 event ids, as many producers write them; else time-ordered UUIDv7
}

// Synth produces events. It is not safe for concurrent use.
type Synth struct {
	opts     Options
	rng      *rand.Rand
	sessions []session
	now      func() time.Time
	newID    func() string
}

type session struct {
	id     string
	userID int32
}

// New returns a Synth; now stamps event times (UTC, microseconds).
func New(opts Options, now func() time.Time) *Synth {
	s := &Synth{
		opts:  opts,
		rng:   rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		now:   now,
		newID: func() string { return uuid.Must(uuid.NewV7()).String() },
	}
	if opts.RandomIDs {
		s.newID = func() string { return uuid.Must(uuid.NewRandom()).String() }
	}
	s.sessions = make([]session, opts.Sessions)
	for i := range s.sessions {
		s.sessions[i] = s.newSession()
	}
	return s
}

// Next returns the next event.
func (s *Synth) Next() contract.Event {
	i := s.rng.IntN(len(s.sessions))
	if s.rng.IntN(20) == 0 { // sessions end now and then
		s.sessions[i] = s.newSession()
	}
	sess := s.sessions[i]
	product := int32(1 + s.rng.IntN(s.opts.Products))
	typ := contract.TypeView
	if s.rng.Float64() < s.opts.PurchaseRatio {
		typ = contract.TypePurchase
	}
	return contract.Event{
		ID:        s.newID(),
		Time:      s.now().UTC().Truncate(time.Microsecond),
		Type:      typ,
		ProductID: product,
		Price:     PriceOf(product),
		UserID:    sess.userID,
		SessionID: sess.id,
	}
}

func (s *Synth) newSession() session {
	return session{
		id:     "s-" + strconv.FormatUint(s.rng.Uint64(), 36),
		userID: int32(1 + s.rng.IntN(s.opts.Users)),
	}
}

// PriceOf gives each product a stable list price between 1.00 and 999.99.
func PriceOf(product int32) contract.Cents {
	return contract.Cents(100 + (int64(product)*7919)%99_900)
}

// Spread returns a clock for New that stamps n successive events evenly
// across [start, start+span): the i-th call returns start + i*span/n. It
// makes a dataset that covers a given day (a report or dashboard demo)
// instead of the minutes the generator ran. Not safe for concurrent use.
func Spread(start time.Time, span time.Duration, n int) func() time.Time {
	step := span / time.Duration(max(n, 1))
	i := 0
	return func() time.Time {
		t := start.Add(time.Duration(i) * step)
		i++
		return t
	}
}
