// Package privfile reads and writes the small files that are the user's
// alone, some of which hold secrets: the credential cache's entries and the
// watcher's registrations and refresh environments.
package privfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// tempPattern names Write's temporary files, which Sweep looks for.
const tempPattern = ".tmp-*"

// staleTemp is the age after which a temporary file is a killed writer's:
// one younger may belong to a writer still at work.
const staleTemp = time.Minute

// Read returns the content and mtime of path, a regular file of at most max
// bytes that belongs to this user and that no one else can read or write.
// It never follows a symlink, and O_NONBLOCK keeps a FIFO in its place from
// hanging the prompt; what is checked is the file opened.
func Read(path string, max int64) ([]byte, time.Time, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 != 0 || !ok || int(st.Uid) != os.Getuid() || fi.Size() > max {
		return nil, time.Time{}, errors.New("not a private file of this user")
	}
	b, err := io.ReadAll(io.LimitReader(f, max))
	return b, fi.ModTime(), err
}

// Write replaces path with data atomically, mode 0600: a temporary file in
// the same directory, renamed over path. With sync the data is flushed
// before the rename, so that a crash leaves the old content or the new,
// never a truncated file.
func Write(path string, data []byte, sync bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), tempPattern) // CreateTemp makes it 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if sync {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Sweep removes the temporary files of writers killed before their rename
// (they may hold secrets) from dir.
func Sweep(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, tempPattern))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && time.Since(fi.ModTime()) > staleTemp {
			os.Remove(m)
		}
	}
}
