package telemetry

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestEndpoints(t *testing.T) {
	reg := NewRegistry()
	health := NewHealth()
	health.Add("nats", func(context.Context) error { return nil })
	srv, err := Listen("127.0.0.1:0", reg, health, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Stop(context.Background())
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"nats":"ok"`) {
		t.Errorf("/readyz = %d %s", code, body)
	}
	health.Add("postgres", func(context.Context) error { return errors.New("connection refused") })
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "connection refused") {
		t.Errorf("/readyz with a failing check = %d %s", code, body)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics = %d", code)
	}
}

func TestPprofOnlyWhenEnabled(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, enabled := range []bool{false, true} {
		srv, err := Listen("127.0.0.1:0", NewRegistry(), NewHealth(), log)
		if err != nil {
			t.Fatal(err)
		}
		if enabled {
			srv.EnablePprof()
		}
		srv.Start()
		resp, err := http.Get("http://" + srv.Addr() + "/debug/pprof/allocs?debug=1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Stop(context.Background())
		served := resp.StatusCode == 200 && strings.Contains(string(body), "heap profile")
		if served != enabled {
			t.Errorf("pprof enabled=%v: /debug/pprof/allocs answered %d", enabled, resp.StatusCode)
		}
	}
}
