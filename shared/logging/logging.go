// Package logging builds the slog logger every service uses: text on a
// terminal, JSON when asked (or when stderr is not a terminal and LOG_FORMAT
// is "auto"), with the same attribute keys everywhere.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"
)

// Attribute keys shared by every service, so one query finds a file's story
// across generator, watcher and loader.
const (
	KeyService   = "service"
	KeyFile      = "file"
	KeyFileID    = "file_id"
	KeyStreamSeq = "stream_seq"
	KeyRows      = "rows"
	KeyTook      = "took"
	KeyError     = "err"
)

// Config selects format and level.
type Config struct {
	Format string `env:"LOG_FORMAT" envDefault:"auto" help:"auto (text on a terminal, JSON otherwise), text or json"`
	Level  string `env:"LOG_LEVEL" envDefault:"info" help:"debug, info, warn or error"`
}

// Validate checks the format and level names.
func (c *Config) Validate() error {
	switch c.Format {
	case "auto", "text", "json":
	default:
		return fmt.Errorf("LOG_FORMAT %q is not auto, text or json", c.Format)
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Level)); err != nil {
		return fmt.Errorf("LOG_LEVEL %q is not debug, info, warn or error", c.Level)
	}
	return nil
}

// New returns a logger writing to w for the named service.
func New(c Config, service string, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // checked by Validate
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: readableDurations}
	var h slog.Handler
	if c.Format == "json" || (c.Format == "auto" && !isTerminal(w)) {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h).With(KeyService, service)
}

// readableDurations prints durations as "2.5ms" in text and JSON alike
// (JSON would otherwise carry integer nanoseconds).
func readableDurations(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Err is the attribute for an error, under the shared key.
func Err(err error) slog.Attr { return slog.Any(KeyError, err) }

// SafeName renders an untrusted file name for a log line: quoted, escaped,
// bounded, so a name holding newlines or escape codes cannot forge lines.
func SafeName(name string) string {
	const max = 200
	if len(name) > max {
		name = name[:max] + "..."
	}
	q := fmt.Sprintf("%q", name)
	return strings.Trim(q, `"`)
}
