//go:build !linux

package pgtest

import "syscall"

// sysProcAttr leaves the server as this process's user: only Linux test
// runs as root are supported (Start then reports postgres's refusal).
func sysProcAttr(*account) *syscall.SysProcAttr { return nil }
