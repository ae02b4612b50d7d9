// Package supervise runs one loader per contract. It reads the contract
// declarations, resolves each against its table, and keeps a loader running
// for every contract that fits: a contract added, changed or removed (in
// its declaration or its table) is picked up on the next look, without a
// restart, and a contract that does not fit its table is refused with its
// reason while the others keep loading.
package supervise

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/tributary-dev/tributary/shared/contracts"
	"github.com/tributary-dev/tributary/shared/logging"
	"github.com/tributary-dev/tributary/shared/schema"
)

// Runner loads one contract until its context ends.
type Runner interface {
	Run(ctx context.Context) error
	Ready(ctx context.Context) error
}

// Config says where the declarations are and how often to look.
type Config struct {
	Dir   string
	Every time.Duration
}

// Deps are the supervisor's collaborators.
type Deps struct {
	// Migrate brings the schema up to date before any contract is
	// resolved; nil to skip.
	Migrate func(ctx context.Context) error
	Catalog schema.Querier
	// NewRunner builds the loader of a resolved contract.
	NewRunner func(t *schema.Table) (Runner, error)
	Observer  Observer
	Log       *slog.Logger
}

// Observer is told each contract's state, for metrics.
type Observer interface {
	ContractState(name string, loading bool)
}

// State is where one contract stands.
type State struct {
	Name    string
	Table   string
	Files   string
	Loading bool
	Reason  string // why it is not loading
}

// Supervisor keeps the contracts' loaders running.
type Supervisor struct {
	cfg  Config
	deps Deps

	mu      sync.Mutex
	running map[string]*running
	states  map[string]State
	wg      sync.WaitGroup

	unresolved map[string]bool // contracts whose table could not be read at the last look; look's only
}

type running struct {
	decl   *contracts.Declaration
	table  *schema.Table
	runner Runner
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Supervisor.
func New(cfg Config, d Deps) *Supervisor {
	if cfg.Every <= 0 {
		cfg.Every = 2 * time.Second
	}
	return &Supervisor{cfg: cfg, deps: d, running: map[string]*running{}, states: map[string]State{}, unresolved: map[string]bool{}}
}

// Run supervises until ctx ends, then stops every loader and waits for it.
func (s *Supervisor) Run(ctx context.Context) error {
	defer s.stopAll()
	if err := s.migrate(ctx); err != nil {
		return err
	}
	t := time.NewTicker(s.cfg.Every)
	defer t.Stop()
	for {
		s.look(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Supervisor) migrate(ctx context.Context) error {
	if s.deps.Migrate == nil {
		return nil
	}
	for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
		err := s.deps.Migrate(ctx)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		s.deps.Log.Warn("not ready to load yet; retrying", "retry_in", wait, logging.Err(err))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// look reads the declarations and their tables once and brings the
// running loaders in line with them.
func (s *Supervisor) look(ctx context.Context) {
	set, err := contracts.Load(s.cfg.Dir)
	if err != nil {
		s.deps.Log.Error("cannot read the contracts; keeping the loaders as they are", logging.Err(err))
		return
	}
	seen := map[string]bool{}
	for name, err := range set.Refused {
		seen[name] = true
		s.refuse(State{Name: name}, err)
	}
	for _, d := range set.Declared {
		seen[d.Name] = true
		state := State{Name: d.Name, Table: d.Table, Files: d.Files}
		t, err := schema.Resolve(ctx, s.deps.Catalog, d)
		var refused *schema.RefusedError
		switch {
		case errors.As(err, &refused):
			s.refuse(state, err)
		case err != nil:
			// PostgreSQL unavailable: said once per outage, not every
			// poll; a running loader reports the outage itself.
			if ctx.Err() == nil && !s.unresolved[d.Name] {
				s.deps.Log.Warn("cannot resolve contract; keeping its loader as it is", "contract", d.Name, logging.Err(err))
			}
			s.unresolved[d.Name] = true
		default:
			delete(s.unresolved, d.Name)
			s.start(ctx, d, t, state)
		}
	}
	s.mu.Lock()
	var gone []string
	for name := range s.states {
		if !seen[name] {
			gone = append(gone, name)
		}
	}
	s.mu.Unlock()
	for _, name := range gone {
		s.stop(name)
		s.mu.Lock()
		delete(s.states, name)
		s.mu.Unlock()
		s.deps.Log.Info("contract removed; its loader stopped", "contract", name)
	}
}

// refuse stops the contract's loader, if any, and records why.
func (s *Supervisor) refuse(state State, err error) {
	s.stop(state.Name)
	state.Reason = err.Error()
	s.mu.Lock()
	old, had := s.states[state.Name]
	s.states[state.Name] = state
	s.mu.Unlock()
	if !had || old.Reason != state.Reason {
		s.deps.Log.Error("contract refused; its files wait in the stream until it is fixed", "contract", state.Name, logging.Err(err))
	}
	s.deps.Observer.ContractState(state.Name, false)
}

// start runs a loader for t, replacing one that runs an older declaration
// or table.
func (s *Supervisor) start(ctx context.Context, d *contracts.Declaration, t *schema.Table, state State) {
	s.mu.Lock()
	r, ok := s.running[d.Name]
	s.mu.Unlock()
	if ok && reflect.DeepEqual(r.decl, d) && reflect.DeepEqual(r.table.Columns, t.Columns) && slices.Equal(r.table.Key, t.Key) {
		return
	}
	if ok {
		s.deps.Log.Info("contract changed; restarting its loader", "contract", d.Name)
		s.stop(d.Name)
	}
	runner, err := s.deps.NewRunner(t)
	if err != nil {
		s.deps.Log.Error("cannot start contract loader; retrying", "contract", d.Name, logging.Err(err))
		return
	}
	rctx, cancel := context.WithCancel(ctx)
	r = &running{decl: d, table: t, runner: runner, cancel: cancel, done: make(chan struct{})}
	state.Loading = true
	s.mu.Lock()
	s.running[d.Name] = r
	s.states[d.Name] = state
	s.mu.Unlock()
	s.deps.Observer.ContractState(d.Name, true)
	s.wg.Go(func() {
		defer close(r.done)
		if err := r.runner.Run(rctx); err != nil && rctx.Err() == nil {
			s.deps.Log.Error("contract loader stopped", "contract", d.Name, logging.Err(err))
		}
	})
}

func (s *Supervisor) stop(name string) {
	s.mu.Lock()
	r, ok := s.running[name]
	delete(s.running, name)
	s.mu.Unlock()
	if ok {
		r.cancel()
		<-r.done
	}
}

func (s *Supervisor) stopAll() {
	s.mu.Lock()
	names := make([]string, 0, len(s.running))
	for name := range s.running {
		names = append(names, name)
	}
	s.mu.Unlock()
	for _, name := range names {
		s.stop(name)
	}
	s.wg.Wait()
}

// States returns every contract's state, by name.
func (s *Supervisor) States() []State {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]State, 0, len(s.states))
	for _, st := range s.states {
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b State) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

// Ready reports whether every loading contract's consumer answers, and
// that at least one contract loads.
func (s *Supervisor) Ready(ctx context.Context) error {
	s.mu.Lock()
	runners := make(map[string]Runner, len(s.running))
	for name, r := range s.running {
		runners[name] = r.runner
	}
	s.mu.Unlock()
	if len(runners) == 0 {
		return errors.New("no contract is loading yet")
	}
	var errs []error
	for name, r := range runners {
		if err := r.Ready(ctx); err != nil {
			errs = append(errs, errors.New("contract "+name+": "+err.Error()))
		}
	}
	return errors.Join(errs...)
}

// Names returns the names of the contracts declared, loading or not.
func (s *Supervisor) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.states))
	for name := range s.states {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
