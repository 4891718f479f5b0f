//go:build unix

package pgserver

import (
	"errors"
	"syscall"
)

const (
	sigFast      = syscall.SIGINT  // postgres: fast shutdown
	sigImmediate = syscall.SIGQUIT // postgres: immediate shutdown
	sigKill      = syscall.SIGKILL
)

func supported() error { return nil }

// processAlive reports whether a process with the given id exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
