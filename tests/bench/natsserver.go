package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// NATSInfo is what the running server reports of itself (/varz), so the
// table states the durability the run really had.
type NATSInfo struct {
	Version      string `json:"version"`
	SyncInterval string `json:"sync_interval"`
	MaxPayload   int64  `json:"max_payload"`
}

var (
	shippedSync    = regexp.MustCompile(`(?m)^\s*sync_interval:\s*(\S+)`)
	shippedPayload = regexp.MustCompile(`(?m)^\s*max_payload:\s*(\S+)`)
)

// natsConfig takes the durability and message-size settings of the
// shipped configuration and binds random loopback ports (the other settings
// there, like listen addresses, are for deployments).
func natsConfig(shipped, storeDir, maxPayload string) (string, error) {
	b, err := os.ReadFile(shipped)
	if err != nil {
		return "", fmt.Errorf("read shipped nats config: %w", err)
	}
	sync := shippedSync.FindSubmatch(b)
	if sync == nil {
		return "", fmt.Errorf("%s sets no jetstream sync_interval", shipped)
	}
	if maxPayload == "" {
		if m := shippedPayload.FindSubmatch(b); m != nil {
			maxPayload = string(m[1])
		} else {
			maxPayload = "1MB"
		}
	}
	return fmt.Sprintf("listen: 127.0.0.1:-1\nhttp: 127.0.0.1:-1\nmax_payload: %s\njetstream {\n  store_dir: %q\n  sync_interval: %s\n}\n",
		maxPayload, storeDir, sync[1]), nil
}

// startNATS runs nats-server and waits until JetStream is usable.
func startNATS(ctx context.Context, bin, shipped, dir, maxPayload string) (*proc, string, NATSInfo, error) {
	var info NATSInfo
	conf, err := natsConfig(shipped, filepath.Join(dir, "store"), maxPayload)
	if err != nil {
		return nil, "", info, err
	}
	confPath := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, "", info, err
	}
	p, err := startProc("nats-server", filepath.Join(bin, "nats-server"),
		[]string{"-c", confPath, "--ports_file_dir", dir}, nil, filepath.Join(dir, "nats-server.log"))
	if err != nil {
		return nil, "", info, err
	}
	ports, err := readPorts(ctx, p, filepath.Join(dir, "nats-server_"+strconv.Itoa(p.cmd.Process.Pid)+".ports"))
	if err == nil {
		err = p.waitReady(ctx, ports.Monitoring[0]+"/healthz?js-enabled-only=true", 20*time.Second)
	}
	if err == nil {
		info, err = varz(ports.Monitoring[0])
	}
	if err != nil {
		p.stop(5 * time.Second)
		return nil, "", info, err
	}
	return p, ports.NATS[0], info, nil
}

type portsFile struct {
	NATS       []string `json:"nats"`
	Monitoring []string `json:"monitoring"`
}

func readPorts(ctx context.Context, p *proc, path string) (portsFile, error) {
	var ports portsFile
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &ports) == nil && len(ports.NATS) > 0 && len(ports.Monitoring) > 0 {
			return ports, nil
		}
		if time.Now().After(deadline) {
			return ports, fmt.Errorf("nats-server wrote no ports file %s", path)
		}
		select {
		case <-ctx.Done():
			return ports, ctx.Err()
		case <-p.done:
			return ports, fmt.Errorf("nats-server exited at start: %v (see %s)", p.err, p.log)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func varz(monitor string) (NATSInfo, error) {
	resp, err := http.Get(monitor + "/varz")
	if err != nil {
		return NATSInfo{}, err
	}
	defer resp.Body.Close()
	var v struct {
		Version    string `json:"version"`
		MaxPayload int64  `json:"max_payload"`
		JetStream  struct {
			Config struct {
				SyncInterval int64 `json:"sync_interval"`
				SyncAlways   bool  `json:"sync_always"`
			} `json:"config"`
		} `json:"jetstream"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return NATSInfo{}, fmt.Errorf("read /varz: %w", err)
	}
	info := NATSInfo{Version: v.Version, MaxPayload: v.MaxPayload, SyncInterval: time.Duration(v.JetStream.Config.SyncInterval).String()}
	if v.JetStream.Config.SyncAlways {
		info.SyncInterval = "always"
	}
	return info, nil
}
