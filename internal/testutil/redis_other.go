//go:build !linux

package testutil

import "os/exec"

// RedisCmd runs redis-server; the run stops it at its end.
func RedisCmd(path string, args ...string) *exec.Cmd {
	return exec.Command(path, args...)
}
