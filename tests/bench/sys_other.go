//go:build !linux

package main

import "syscall"

func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
func machineBusy() float64           { return 0 }
func processCPU(int) float64         { return 0 }
func cpuModel() string               { return "" }
func kernel() string                 { return "" }
func loadAvg() string                { return "" }
