// Package hook is the shell-agnostic engine: from the environment and the
// nearest .awsrole.toml it decides which variables change, asking hook/creds
// for credentials only when it must. It never imports shells.
package hook

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Paths are where awsrole keeps its files, from the XDG base directories.
type Paths struct {
	Config string // user config: config.toml
	Data   string // trust store
	Cache  string // credential cache
	State  string // generation marker, state key, watcher files
}

// DefaultPaths follows the XDG spec: a relative XDG_* value is ignored.
func DefaultPaths() Paths {
	home, _ := os.UserHomeDir()
	xdg := func(name, fallback string) string {
		if v := os.Getenv(name); filepath.IsAbs(v) {
			return filepath.Join(v, "awsrole")
		}
		return filepath.Join(home, fallback, "awsrole")
	}
	return Paths{
		Config: xdg("XDG_CONFIG_HOME", ".config"),
		Data:   xdg("XDG_DATA_HOME", ".local/share"),
		Cache:  xdg("XDG_CACHE_HOME", ".cache"),
		State:  xdg("XDG_STATE_HOME", ".local/state"),
	}
}

func (p Paths) UserConfig() string { return filepath.Join(p.Config, "config.toml") }
func (p Paths) KeyFile() string    { return filepath.Join(p.State, "state.key") }

// GenDir holds the generation marker: exactly one empty file, whose name is
// the current generation. A shell keeps the marker's path and tests it with
// one stat (bash and zsh [[ -e ]], fish test -e): a bump renames the marker,
// so the old path stops existing and every shell re-evaluates at its next
// prompt. One stat costs the prompt less than reading a counter, which is a
// redirection, an open, reads and a close.
func (p Paths) GenDir() string { return filepath.Join(p.State, "gen") }

// GenMarker is the marker's path for generation gen, "" for none.
func (p Paths) GenMarker(gen string) string {
	if gen == "" {
		return ""
	}
	return filepath.Join(p.GenDir(), gen)
}

// ReadGen returns the current generation, creating the marker when there is
// none yet, so that even a shell that never met a project gets a path to
// test. It returns "" only when the state directory cannot be written.
func ReadGen(p Paths) string {
	if gen, ok := currentGen(p.GenDir()); ok {
		// Put back the epoch mtime fish reads the clock from, should
		// anything have touched the marker.
		m := p.GenMarker(gen)
		if fi, err := os.Lstat(m); err == nil && fi.ModTime().Unix() != 0 {
			toEpoch(m)
		}
		return gen
	}
	gen, _ := changeGen(p.GenDir(), true)
	return gen
}

// BumpGen gives the generation a new value: every shell re-evaluates at its
// next prompt.
func BumpGen(p Paths) error {
	_, err := changeGen(p.GenDir(), true)
	return err
}

// RenameGen bumps the generation only by renaming an existing marker: for
// the watcher, which must not create files in a state directory that may be
// going away under it. It fails when there is no marker.
func RenameGen(p Paths) (string, error) { return changeGen(p.GenDir(), false) }

// CurrentGen is the current generation, "" when there is no marker; it
// creates nothing.
func CurrentGen(p Paths) string {
	gen, _ := currentGen(p.GenDir())
	return gen
}

// currentGen reads the marker's name without a lock: a rename is atomic,
// so a reader sees the old name or the new one.
func currentGen(dir string) (string, bool) {
	names, err := readNames(dir)
	if err != nil || len(names) != 1 || !validGen(names[0]) {
		return "", false
	}
	return names[0], true
}

// changeGen renames the marker to a new random name (creating it with
// create when there is none), under an flock on the directory so that
// writers never leave two markers. A marker's mtime is the Unix epoch:
// fish, which has no clock, reads the time as the marker's age.
func changeGen(dir string, create bool) (string, error) {
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return "", err
	}
	defer d.Close()
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX); err != nil {
		return "", err
	}
	names, err := d.Readdirnames(-1)
	if err != nil {
		return "", err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	gen := hex.EncodeToString(b)
	next := filepath.Join(dir, gen)
	if len(names) == 0 {
		if !create {
			return "", errors.New("no generation marker in " + dir)
		}
		f, err := os.OpenFile(next, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
		if err != nil {
			return "", err
		}
		f.Close()
	} else {
		if err := os.Rename(filepath.Join(dir, names[0]), next); err != nil {
			return "", err
		}
		// More than one marker is not something awsrole writes; whatever
		// else is there, the shells must not keep testing it.
		for _, n := range names[1:] {
			os.Remove(filepath.Join(dir, n))
		}
	}
	return gen, toEpoch(next)
}

// toEpoch gives a marker the mtime fish reads the clock from.
func toEpoch(path string) error {
	epoch := time.Unix(0, 0)
	return os.Chtimes(path, epoch, epoch)
}

func readNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

// validGen is what changeGen names markers: 16 lower-case hex digits.
func validGen(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
