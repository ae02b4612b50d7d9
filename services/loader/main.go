// Command loader pulls micro-batches of landed files from NATS JetStream
// and loads them into PostgreSQL exactly once.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/tributary-dev/tributary/services/loader/app"
	"github.com/tributary-dev/tributary/shared/config"
	"github.com/tributary-dev/tributary/shared/fxapp"
	"go.uber.org/fx"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, config.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "loader:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := config.Load[app.Config]("loader", "loads files from NATS JetStream into PostgreSQL, exactly once", args, os.Stderr)
	if err != nil {
		return err
	}
	return fxapp.Run(fx.New(app.Module(cfg)))
}
