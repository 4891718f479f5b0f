//go:build linux

package pgserver

import (
	"os/exec"
	"syscall"
)

// setProcAttr runs cmd as uid and gid when asUser is set, and has the kernel
// send it sig when this process dies, so that a crashed or killed test
// binary does not leave a server behind. (SIGQUIT makes postgres shut down
// at once.)
func setProcAttr(cmd *exec.Cmd, asUser *account, sig syscall.Signal) {
	attr := &syscall.SysProcAttr{Pdeathsig: sig}
	if asUser != nil {
		attr.Credential = &syscall.Credential{Uid: asUser.uid, Gid: asUser.gid, Groups: asUser.groups}
	}
	cmd.SysProcAttr = attr
}
