// Package watch is the per-user background watcher. The prompt hook skips
// the binary while the directory, the generation marker and the clock say
// nothing changed; the watcher is what turns "something changed" into a new
// generation without a prompt having to look: an edit to the .awsrole.toml of
// an active shell, a change to the trust store, a refresh time reached.
// Ahead of those refresh times it also fetches new credentials in the
// background, when that needs no MFA code, so the prompt finds them cached.
//
// Files under the state directory ($XDG_STATE_HOME/awsrole):
//
//	watch.lock        flock held by the running watcher for its whole life; holds its pid
//	watch.log         its log (0600): paths, roles and times, never a credential
//	active/KEY.json   one registration per file a shell uses: the path, the
//	                  digest the shell acted on, the refresh time; touched by
//	                  every prompt that runs the binary
//	refresh/KEY.env   the pre-role environment a background refresh needs
//	                  (0600; may hold the user's own keys): read and deleted
//	                  by the one process that uses it
//
// Without a watcher everything still works: an edit is then noticed at the
// next cd or refresh, and the refresh happens at the prompt.
package watch

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/awsrole/awsrole/hook"
)

const (
	lockName   = "watch.lock"
	logName    = "watch.log"
	activeName = "active"
	refreshDir = "refresh"
)

func lockPath(p hook.Paths) string    { return filepath.Join(p.State, lockName) }
func activePath(p hook.Paths) string  { return filepath.Join(p.State, activeName) }
func refreshPath(p hook.Paths) string { return filepath.Join(p.State, refreshDir) }

// LogFile is where a watcher started by the hook writes its log.
func LogFile(p hook.Paths) string { return filepath.Join(p.State, logName) }

// Running reports whether a watcher runs, which is defined as: some process
// holds the flock on watch.lock. The probe takes a shared lock for an
// instant; a starting watcher retries, so a probe never makes it give up.
func Running(p hook.Paths) bool {
	fd, err := unix.Open(lockPath(p), unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	if err := unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB); err != nil {
		return errors.Is(err, unix.EWOULDBLOCK)
	}
	return false // closing fd drops the shared lock
}

// PID returns the process ID of the running watcher, or 0.
func PID(p hook.Paths) int {
	if !Running(p) {
		return 0
	}
	b, err := os.ReadFile(lockPath(p))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}
