// Command generator writes synthetic e-commerce events ("view", "purchase")
// as CSV files, landed atomically into $DATA_DIR/input.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/tributary-dev/tributary/services/generator/app"
	"github.com/tributary-dev/tributary/shared/config"
	"github.com/tributary-dev/tributary/shared/fxapp"
	"go.uber.org/fx"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, config.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "generator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := config.Load[app.Config]("generator", "writes synthetic e-commerce events as CSV files into $DATA_DIR/input", args, os.Stderr)
	if err != nil {
		return err
	}
	return fxapp.Run(fx.New(app.Module(cfg)))
}
