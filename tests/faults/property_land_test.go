package faults

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"golang.org/x/sys/unix"
)

// land writes data into input as NAME, the way a producer does (temp
// file, then rename), but never over a file of that name still waiting in
// input: that would be the producer's own loss, not the pipeline's.
func (r *runner) land(i int, name string, data []byte, good bool) error {
	tmp := filepath.Join(r.c.Data.Path(datadir.Temp), fmt.Sprintf("op%d.tmp", i+1))
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	final, err := r.freeName(i, name, func(path string) error {
		return unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_NOREPLACE)
	})
	if err != nil {
		return err
	}
	l := landing{name: final, op: i}
	if !good {
		r.o.addBad(l, data)
		return nil
	}
	return r.o.addGood(l, data)
}

// writeInPlace is a producer that writes its file directly in input and
// pauses half way for hold, holding it open: the watcher may claim it
// meanwhile but must not publish it before it is closed.
func (r *runner) writeInPlace(i int, name string, data []byte, hold time.Duration) error {
	var f *os.File
	final, err := r.freeName(i, name, func(path string) error {
		var err error
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		return err
	})
	if err != nil {
		return err
	}
	half := len(data) / 2
	if _, err := f.Write(data[:half]); err != nil {
		f.Close()
		return err
	}
	r.writers.Add(1)
	go func() {
		defer r.writers.Done()
		time.Sleep(hold)
		_, err := f.Write(data[half:])
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			r.writeErr <- fmt.Errorf("op %d: write %s in place: %w", i+1, final, err)
		}
	}()
	return r.o.addGood(landing{name: final, op: i}, data)
}

// freeName creates input/NAME with create, which must fail with EEXIST
// when the name is taken. It waits a little for the watcher to claim an
// earlier file of that name, then lands under a name of its own.
func (r *runner) freeName(i int, name string, create func(path string) error) (string, error) {
	input := r.c.Data.Path(datadir.Input)
	final := name
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := create(filepath.Join(input, final))
		if err == nil {
			return final, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("land %s: %w", final, err)
		}
		if time.Now().After(deadline) {
			alt := strings.TrimSuffix(name, ".csv") + "-op" + strconv.Itoa(i+1) + ".csv"
			r.logf("op %d: %s still waits in input/ after 2s; landing as %s", i+1, name, alt)
			r.busyNames++
			final, deadline = alt, time.Now().Add(time.Hour)
			continue
		}
		time.Sleep(50 * time.Millisecond)
	}
}
