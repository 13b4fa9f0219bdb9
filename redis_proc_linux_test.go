package biohook

import (
	"os/exec"
	"syscall"
)

// redisCmd runs redis-server so that it is killed when the test process
// dies, however it dies.
func redisCmd(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}
