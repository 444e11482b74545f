package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// FileName is the name of the per-directory file.
const FileName = ".awsrole.toml"

// Find walks from dir upward to / and returns the path of the nearest
// FileName entry, or "" if there is none.
//
// dir must be absolute. It is the shell's logical working directory ($PWD):
// symbolic links in it are not resolved, so a project reached through a
// symlinked directory finds the file above the link, as the user sees the
// tree. ".." elements are resolved lexically, as the shell does.
//
// An entry counts whatever its type (a symlink, a directory, a FIFO): Load
// judges it, so a bad entry is reported instead of silently skipped. An error
// other than "does not exist" (e.g. permission denied) is returned rather
// than skipped, so the hook fails closed instead of picking a farther file.
func Find(dir string) (string, error) {
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("%s: not an absolute directory path", quote(dir))
	}
	dir = filepath.Clean(dir)
	for {
		p := filepath.Join(dir, FileName)
		_, err := os.Lstat(p)
		switch {
		case err == nil:
			return p, nil
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
			// keep walking
		default:
			return "", fmt.Errorf("%s: %s", p, errText(err))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// errText is the lower-level reason of an OS error, without the path that
// the caller already prints.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}
