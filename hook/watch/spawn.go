package watch

import (
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/awsrole/awsrole/hook"
)

// maxLog is the size at which a new watcher starts its log afresh.
const maxLog = 1 << 20

// Start starts a watcher in the background, detached from the shell: its
// own session, stdin /dev/null, output to watch.log, working directory /,
// and an environment of HOME, PATH and XDG_* only, because the shell's
// environment holds credentials. It costs the caller one fork and exec and
// does not wait. A second watcher started meanwhile finds the lock taken
// and exits.
func Start(p hook.Paths) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// Created here, not by the watcher: a watcher never creates a file in a
	// state directory that may be going away under it.
	lock, err := os.OpenFile(lockPath(p), os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	lock.Close()
	log, err := os.OpenFile(LogFile(p), os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	if fi, err := log.Stat(); err == nil && fi.Size() > maxLog {
		log.Truncate(0)
	}
	cmd := exec.Command(exe, "watch", "--from-hook")
	cmd.Env = minimalEnv(os.Environ())
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}

// minimalEnv keeps HOME, PATH and XDG_*: enough to find the same files.
func minimalEnv(environ []string) []string {
	var env []string
	for _, kv := range environ {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "XDG_") {
			env = append(env, kv)
		}
	}
	return env
}
