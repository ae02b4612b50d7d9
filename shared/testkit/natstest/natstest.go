// Package natstest runs an in-process nats-server with JetStream for tests,
// on a random port with its store in the test's temporary directory.
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options returns the defaults RunServer uses; tweak and pass to Start.
func Options(t testing.TB) *server.Options {
	return &server.Options{
		Host:       "127.0.0.1",
		Port:       -1,
		JetStream:  true,
		StoreDir:   t.TempDir(),
		SyncAlways: true, // the durability setting the pipeline ships with
		NoLog:      true,
		NoSigs:     true,
	}
}

// RunServer starts a server with Options and stops it when the test ends.
func RunServer(t testing.TB) *server.Server {
	t.Helper()
	return Start(t, Options(t))
}

// Start starts a server with opts and stops it when the test ends.
func Start(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("nats-server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start in 10s")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}
