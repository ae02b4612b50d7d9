package fxapp

import (
	"context"
	"errors"

	"go.uber.org/fx"
)

// Loop is a service's main work: it runs until ctx ends or it is done.
type Loop func(ctx context.Context) error

// Background runs loop on its own context for the application's lifetime:
// fx's start context expires after 15 seconds, so a long-running loop must
// not inherit it. When loop returns by itself the application shuts down,
// with exit code 1 if it failed; OnStop cancels it and waits for it.
func Background(lc fx.Lifecycle, sd fx.Shutdowner, loop Loop) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				err := loop(ctx)
				if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
					return // stopped by OnStop
				}
				code := 0
				if err != nil {
					code = 1
				}
				_ = sd.Shutdown(fx.ExitCode(code))
			}()
			return nil
		},
		OnStop: func(stopCtx context.Context) error {
			cancel()
			select {
			case <-done:
				return nil
			case <-stopCtx.Done():
				return stopCtx.Err()
			}
		},
	})
}
