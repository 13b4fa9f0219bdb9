package testutil

import (
	"os/exec"
	"syscall"
)

// RedisCmd runs redis-server so that it is killed when the test process
// dies, however it dies.
func RedisCmd(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}
