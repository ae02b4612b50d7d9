// Command nats-exporter serves a NATS server's monitoring endpoints as
// Prometheus metrics named as github.com/nats-io/prometheus-nats-exporter
// names them (see package natsexporter for why this stand-in exists):
//
//	go run ./tests/deploy/natsexporter/cmd/nats-exporter -addr 127.0.0.1:7777 http://127.0.0.1:8322
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tributary-dev/tributary/tests/deploy/natsexporter"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "nats-exporter:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:7777", "listen address of /metrics (7777 is the real exporter's port)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: nats-exporter [-addr host:port] [monitoring URL, default http://127.0.0.1:8322]")
		flag.PrintDefaults()
	}
	flag.Parse()
	url := "http://127.0.0.1:8322" // the monitoring port of `task up`
	if flag.NArg() > 0 {
		url = flag.Arg(0)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("service", "nats-exporter")
	reg := prometheus.NewRegistry()
	reg.MustRegister(natsexporter.New(url, log))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Info("serving metrics", "addr", *addr, "nats_monitor", url)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
