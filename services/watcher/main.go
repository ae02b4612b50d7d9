// Command watcher publishes every file landed in $DATA_DIR/input to NATS
// JetStream, then archives it (or rejects it with a reason).
package main

import (
	"fmt"
	"os"

	"github.com/tributary-dev/tributary/services/watcher/app"
	"github.com/tributary-dev/tributary/shared/fxapp"
)

func main() {
	if err := fxapp.Main("watcher", "publishes files landed in $DATA_DIR/input to NATS JetStream", os.Args[1:], os.Stderr, app.Module); err != nil {
		fmt.Fprintln(os.Stderr, "watcher:", err)
		os.Exit(1)
	}
}
