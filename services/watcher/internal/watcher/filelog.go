package watcher

import (
	"log/slog"

	"github.com/tributary-dev/tributary/shared/logging"
)

// fileLog writes a file's lines with its name, and its contract and id once
// known. The attributes are added per line, not with slog's With: With
// formats them at once, a cost every file paid for lines most never write.
type fileLog struct {
	log      *slog.Logger
	name     string
	contract string
	id       string
}

func (f fileLog) Info(msg string, args ...any)  { f.log.Info(msg, f.attrs(args)...) }
func (f fileLog) Warn(msg string, args ...any)  { f.log.Warn(msg, f.attrs(args)...) }
func (f fileLog) Error(msg string, args ...any) { f.log.Error(msg, f.attrs(args)...) }

func (f fileLog) attrs(args []any) []any {
	all := make([]any, 0, 6+len(args))
	all = append(all, logging.KeyFile, logging.SafeName(f.name))
	if f.contract != "" {
		all = append(all, keyContract, f.contract)
	}
	if f.id != "" {
		all = append(all, logging.KeyFileID, f.id)
	}
	return append(all, args...)
}
