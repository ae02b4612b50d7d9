// Package fxapp runs an fx application the same way in every service:
// start, wait for a signal or a shutdown request, stop, report the outcome.
package fxapp

import (
	"context"
	"fmt"

	"go.uber.org/fx"
)

// Run starts app, blocks until SIGINT/SIGTERM or fx.Shutdowner asks to stop,
// then stops it within its stop timeout. A shutdown requested with a
// non-zero exit code is returned as an error.
func Run(app *fx.App) error {
	startCtx, cancel := context.WithTimeout(context.Background(), app.StartTimeout())
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	sig := <-app.Wait()
	stopCtx, cancelStop := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancelStop()
	if err := app.Stop(stopCtx); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	if sig.ExitCode != 0 {
		return fmt.Errorf("stopped with exit code %d", sig.ExitCode)
	}
	return nil
}
