// Command watcher publishes every file landed in $DATA_DIR/input to NATS
// JetStream, then archives it (or rejects it with a reason).
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/tributary-dev/tributary/services/watcher/app"
	"github.com/tributary-dev/tributary/shared/config"
	"github.com/tributary-dev/tributary/shared/fxapp"
	"go.uber.org/fx"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, config.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "watcher:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := config.Load[app.Config]("watcher", "publishes files landed in $DATA_DIR/input to NATS JetStream", args, os.Stderr)
	if err != nil {
		return err
	}
	return fxapp.Run(fx.New(app.Module(cfg)))
}
