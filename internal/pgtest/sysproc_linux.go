package pgtest

import "syscall"

// sysProcAttr runs a server binary as a (when not nil) and makes it quit
// if the test process dies first, so a killed test leaves no server
// behind.
func sysProcAttr(a *account) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
	if a != nil {
		attr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid}
	}
	return attr
}
