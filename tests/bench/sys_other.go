//go:build !linux

package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
func machineBusy() float64           { return 0 }
func processCPU(int) float64         { return 0 }
func peakRSS(int) float64            { return 0 }
func cpuModel() string               { return "" }
func kernel() string                 { return "" }
func loadAvg() string                { return "" }

// syncFS fsyncs every file of dir (no syncfs(2) here).
func syncFS(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		f, err := os.OpenFile(filepath.Join(dir, e.Name()), os.O_RDWR, 0)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var errLinuxOnly = errors.New("the growth run's disk check and private PostgreSQL need Linux")

func freeBytes(string) (int64, error) { return 0, errLinuxOnly }

type pgInstance struct{ adminURL string }

func startPostgres(context.Context, string, string) (*pgInstance, error) { return nil, errLinuxOnly }
func (p *pgInstance) stop(bool) error                                    { return nil }
