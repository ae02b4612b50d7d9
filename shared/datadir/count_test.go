package datadir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCountBacklog(t *testing.T) {
	c := Config{Dir: t.TempDir()}
	if err := c.Ensure(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"input/a.csv", "input/b.csv", "input/.c.csv.123.tmp",
		"claimed/w1/d.csv", "claimed/w2/e.csv", "claimed/w2/f.csv", "archive/g.csv",
		"claimed/w1/.1/d.csv", "claimed/w1/.2/d.csv", "claimed/.w1.lock", "claimed/w2/.x/h.csv",
	} {
		path := filepath.Join(c.Dir, p)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.CountBacklog()
	if err != nil {
		t.Fatal(err)
	}
	if want := (Backlog{Input: 2, Claimed: 5}); got != want {
		t.Errorf("CountBacklog() = %+v, want %+v", got, want)
	}
	if _, err := (Config{Dir: filepath.Join(c.Dir, "missing")}).CountBacklog(); err == nil {
		t.Error("CountBacklog of a missing directory succeeded")
	}
}
