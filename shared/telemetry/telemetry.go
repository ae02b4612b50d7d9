// Package telemetry serves a service's operational endpoints on one
// address: /metrics (Prometheus), /healthz (the process is alive) and
// /readyz (every dependency the service needs is usable).
package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric of the product.
const Namespace = "tributary"

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Check reports whether one dependency is usable.
type Check func(ctx context.Context) error

// Health collects readiness checks.
type Health struct {
	mu     sync.Mutex
	checks map[string]Check
}

// NewHealth returns an empty Health.
func NewHealth() *Health { return &Health{checks: map[string]Check{}} }

// Add registers a named readiness check.
func (h *Health) Add(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = c
}

// Ready runs every check and returns each result (nil when usable).
func (h *Health) Ready(ctx context.Context) map[string]error {
	h.mu.Lock()
	checks := make(map[string]Check, len(h.checks))
	for k, v := range h.checks {
		checks[k] = v
	}
	h.mu.Unlock()
	out := make(map[string]error, len(checks))
	for name, c := range checks {
		out[name] = c(ctx)
	}
	return out
}

// Server is the HTTP server of the endpoints.
type Server struct {
	srv *http.Server
	mux *http.ServeMux
	ln  net.Listener
	log *slog.Logger
}

// Listen binds addr (":0" picks a free port) and prepares the handlers.
func Listen(addr string, reg *prometheus.Registry, health *Health, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		writeReadiness(w, health.Ready(ctx))
	})
	return &Server{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		mux: mux,
		ln:  ln,
		log: log,
	}, nil
}

// EnablePprof also serves net/http/pprof under /debug/pprof/, for CPU and
// allocation profiles of a running service (go tool pprof URL). Off by
// default: a profile costs CPU while it runs and shows the code's insides.
func (s *Server) EnablePprof() {
	s.mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	s.mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	s.mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	s.mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	s.mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	s.log.Warn("serving profiles on /debug/pprof/ (HTTP_PPROF)", "addr", s.Addr())
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Start serves in the background.
func (s *Server) Start() {
	go func() {
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("telemetry server stopped", "err", err)
		}
	}()
	s.log.Info("serving metrics and health", "addr", s.Addr())
}

// Stop shuts the server down.
func (s *Server) Stop(ctx context.Context) error { return s.srv.Shutdown(ctx) }

func writeReadiness(w http.ResponseWriter, results map[string]error) {
	names := make([]string, 0, len(results))
	for name := range results {
		names = append(names, name)
	}
	sort.Strings(names)
	body := map[string]string{}
	status := http.StatusOK
	for _, name := range names {
		if err := results[name]; err != nil {
			body[name] = err.Error()
			status = http.StatusServiceUnavailable
		} else {
			body[name] = "ok"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
