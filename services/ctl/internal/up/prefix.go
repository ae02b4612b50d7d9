package up

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"
)

// prefixer interleaves the output of several processes line by line, each
// line prefixed with its process name (in colour on a terminal).
type prefixer struct {
	mu    sync.Mutex
	out   io.Writer
	color bool
	next  int
}

func newPrefixer(out io.Writer) *prefixer {
	f, ok := out.(*os.File)
	return &prefixer{out: out, color: ok && term.IsTerminal(int(f.Fd()))}
}

var colors = []string{"36", "33", "32", "35", "34"}

func (p *prefixer) writer(name string) io.Writer {
	p.mu.Lock()
	defer p.mu.Unlock()
	prefix := fmt.Sprintf("%-9s | ", name)
	if p.color {
		prefix = "\x1b[" + colors[p.next%len(colors)] + "m" + prefix + "\x1b[0m"
	}
	p.next++
	return &lineWriter{p: p, prefix: []byte(prefix)}
}

type lineWriter struct {
	p       *prefixer
	prefix  []byte
	pending []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.pending = append(w.pending, b...)
	for {
		i := bytes.IndexByte(w.pending, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.p.mu.Lock()
		w.p.out.Write(w.prefix)
		w.p.out.Write(w.pending[:i+1])
		w.p.mu.Unlock()
		w.pending = w.pending[i+1:]
	}
}
