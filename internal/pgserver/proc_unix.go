//go:build unix && !linux

package pgserver

import (
	"os/exec"
	"syscall"
)

// setProcAttr runs cmd as uid and gid when asUser is set. Unlike on Linux,
// nothing stops the server if this process dies without calling Stop.
func setProcAttr(cmd *exec.Cmd, asUser *account, _ syscall.Signal) {
	if asUser != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Credential: &syscall.Credential{Uid: asUser.uid, Gid: asUser.gid, Groups: asUser.groups},
		}
	}
}
