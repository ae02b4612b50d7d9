package logging

import (
	"log/slog"

	"go.uber.org/fx/fxevent"
)

// FxLogger routes fx's own events to slog at debug level, so start-up noise
// stays out of the way until it is asked for.
func FxLogger(log *slog.Logger) fxevent.Logger {
	l := &fxevent.SlogLogger{Logger: log.With("component", "fx")}
	l.UseLogLevel(slog.LevelDebug)
	l.UseErrorLevel(slog.LevelError)
	return l
}
