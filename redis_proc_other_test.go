//go:build !linux

package biohook

import "os/exec"

// redisCmd runs redis-server; the run stops it at its end.
func redisCmd(path string, args ...string) *exec.Cmd {
	return exec.Command(path, args...)
}
