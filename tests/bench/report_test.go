package main

import "testing"

// The RSS target is judged on the code measured: -compare's build (an
// older watcher at 108 MB) is reported beside it, never as its figure.
func TestPeakRSSIsTheWorkingTrees(t *testing.T) {
	svc := func(name string, mb float64) ServiceStat { return ServiceStat{Name: name, PeakRSSMB: mb} }
	r := &Report{
		Latency:        &PipelineRun{Variant: workingTree, Services: []ServiceStat{svc("loader", 33), svc("watcher", 19), svc("nats-server", 200), svc("generator", 156)}},
		LatencyCompare: &PipelineRun{Variant: "ec65051", Services: []ServiceStat{svc("loader", 24), svc("watcher", 108)}},
	}
	r.summarize()
	if r.Summary.MaxServiceRSSMB != 33 || r.Summary.CompareServiceRSSMB != 108 {
		t.Errorf("peak RSS %v MB, compared build's %v MB; want 33 (the working tree's loader) and 108", r.Summary.MaxServiceRSSMB, r.Summary.CompareServiceRSSMB)
	}
}
