package app

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows a bar on a terminal when the number of files is bounded,
// and nothing otherwise (logs stay clean under a supervisor or in CI).
type progress struct {
	bar     *progressbar.ProgressBar
	written int
}

func newProgress(total int, w io.Writer) *progress {
	f, ok := w.(*os.File)
	if total <= 0 || !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("landing files"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("files"),
		progressbar.OptionShowIts(),
		progressbar.OptionClearOnFinish(),
	)}
}

// FileLanded implements generate.Observer.
func (p *progress) FileLanded(int, int64, time.Duration) {
	p.written++
	if p.bar != nil {
		_ = p.bar.Set(p.written)
	}
}

func (p *progress) Finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
