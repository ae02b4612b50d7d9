package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
)

// profile starts CPU profiles of the watcher and the first loader for
// -profile while the run goes on (the services serve net/http/pprof when
// HTTP_PPROF=true). The returned function waits for them and adds heap
// allocation profiles; files go to the run's directory as NAME-cpu.pprof
// and NAME-allocs.pprof, for `go tool pprof`.
func (b *bench) profile(ctx context.Context, c *cluster, dir string) (wait func()) {
	if b.opts.Profile <= 0 {
		return func() {}
	}
	targets := []*proc{c.watcher}
	if len(c.loaders) > 0 {
		targets = append(targets, c.loaders[0])
	}
	var wg sync.WaitGroup
	for _, p := range targets {
		wg.Go(func() {
			url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", c.addrs[p], int(b.opts.Profile.Seconds()))
			b.fetch(ctx, url, filepath.Join(dir, p.name+"-cpu.pprof"))
		})
	}
	return func() {
		wg.Wait()
		for _, p := range targets {
			b.fetch(ctx, "http://"+c.addrs[p]+"/debug/pprof/allocs", filepath.Join(dir, p.name+"-allocs.pprof"))
		}
	}
}

func (b *bench) fetch(ctx context.Context, url, path string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.log.Warn("profile not taken", "url", url, "err", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.log.Warn("profile not taken (is HTTP_PPROF supported?)", "url", url, "status", resp.Status)
		return
	}
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err == nil {
		b.log.Info("profile written", "path", path)
	}
}
