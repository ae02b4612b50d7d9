package fxapp

import (
	"errors"
	"io"

	"github.com/tributary-dev/tributary/shared/config"
	"go.uber.org/fx"
)

// Main is the whole of a service's main: read its settings from the
// environment (answering -h with every variable, default and purpose), then
// run the fx application module builds from them. A -h request is not an
// error.
func Main[C any](name, summary string, args []string, usage io.Writer, module func(C) fx.Option) error {
	cfg, err := config.Load[C](name, summary, args, usage)
	if errors.Is(err, config.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	return Run(fx.New(module(cfg)))
}
