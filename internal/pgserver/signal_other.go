//go:build !unix

package pgserver

import (
	"errors"
	"os/exec"
	"syscall"
)

const (
	sigFast      = syscall.SIGINT
	sigImmediate = syscall.SIGKILL
	sigKill      = syscall.SIGKILL
)

func supported() error {
	return errors.New("pgserver: starting a throwaway server needs a Unix socket; set DATABASE_URL to the server to use")
}

func setProcAttr(*exec.Cmd, *account, syscall.Signal) {}

func processAlive(int) bool { return true }
