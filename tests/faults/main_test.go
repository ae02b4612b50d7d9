// Package faults tests the pipeline's exactly-once promise under faults:
// the services run as separate OS processes (so SIGKILL is real) against a
// nats-server child with a persistent store and the real PostgreSQL behind
// a proxy that can cut it off. See docs/exactly-once.md.
package faults

import (
	"fmt"
	"os"
	"testing"

	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// bin holds the binaries built once for every test of the package.
var bin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tributary-faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := cluster.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "build the binaries under test:", err)
		return 1
	}
	bin = dir
	return m.Run()
}
