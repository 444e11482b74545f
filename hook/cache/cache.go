// Package cache is the credential cache every shell of a user shares: one
// JSON file per key under a 0700 directory, files 0600, written by atomic
// rename, with a per-key lock so that shells entering the same project at
// once wait for the one that is fetching instead of fetching (and prompting)
// again.
package cache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/awsrole/awsrole/hook/privfile"
)

// Cache is rooted at Dir (e.g. $XDG_CACHE_HOME/awsrole).
type Cache struct{ Dir string }

// At most 128 long, checked in code: `{1,128}` would compile into 128
// copies, about a millisecond of every prompt's start-up.
var validKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (c Cache) path(key, ext string) (string, error) {
	if len(key) > 128 || !validKey.MatchString(key) {
		return "", fmt.Errorf("cache key %q is not a file name", key)
	}
	return filepath.Join(c.Dir, key+ext), nil
}

// ensureDir creates the directory 0700 whatever the umask, and refuses one
// that others could write into or read from.
func (c Cache) ensureDir() error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	fi, err := os.Stat(c.Dir)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := ownedByMe(fi); err != nil {
		return fmt.Errorf("cache: %s %w", c.Dir, err)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(c.Dir, 0o700); err != nil {
			return fmt.Errorf("cache: %w", err)
		}
	}
	return nil
}

// Get reads the entry for key into v. A missing entry is (false, nil). An
// entry that is corrupt, or that others could have written or read, is
// removed and reported as missing: the cache is never a reason to fail.
func (c Cache) Get(key string, v any) (bool, error) {
	p, err := c.path(key, ".json")
	if err != nil {
		return false, err
	}
	b, _, err := privfile.Read(p, 1<<20)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		os.Remove(p)
		return false, nil
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		os.Remove(p)
		return false, nil
	}
	return true, nil
}

// Put writes the entry for key atomically with mode 0600.
func (c Cache) Put(key string, v any) error {
	p, err := c.path(key, ".json")
	if err != nil {
		return err
	}
	if err := c.ensureDir(); err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// Synced: a crash must leave the old entry or the new one, never a
	// truncated file that parses as something else.
	if err := privfile.Write(p, b, true); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	privfile.Sweep(c.Dir)
	return nil
}

// Delete removes the entry for key, if any.
func (c Cache) Delete(key string) error {
	p, err := c.path(key, ".json")
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Clear removes every entry (locks stay: another process may hold one).
func (c Cache) Clear() error {
	matches, _ := filepath.Glob(filepath.Join(c.Dir, "*.json"))
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Lock takes the exclusive lock for key, waiting for another holder; the
// returned function releases it. The lock is an flock on a separate file so
// that the entry itself can be replaced by rename while it is held, and the
// kernel drops it if the holder dies.
func (c Cache) Lock(key string) (func(), error) {
	p, err := c.path(key, ".lock")
	if err != nil {
		return nil, err
	}
	if err := c.ensureDir(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cache: lock %s: %w", p, err)
	}
	return func() { f.Close() }, nil
}

func ownedByMe(fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if int(st.Uid) != os.Getuid() {
		return fmt.Errorf("is owned by another user (uid %d)", st.Uid)
	}
	return nil
}
