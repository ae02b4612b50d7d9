//go:build linux

package up

import "syscall"

// procAttr puts a child in its own process group, so the terminal's Ctrl-C
// reaches only the supervisor, which stops the children in order; and has
// the kernel stop the child should the supervisor itself die.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
