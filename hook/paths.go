// Package hook is the shell-agnostic engine: from the environment and the
// nearest .awsrole.toml it decides which variables change, asking hook/creds
// for credentials only when it must. It never imports shells.
package hook

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
)

// Paths are where awsrole keeps its files, from the XDG base directories.
type Paths struct {
	Config string // user config: config.toml
	Data   string // trust store
	Cache  string // credential cache
	State  string // generation counter, state key, watcher socket
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
func (p Paths) GenFile() string    { return filepath.Join(p.State, "generation") }
func (p Paths) KeyFile() string    { return filepath.Join(p.State, "state.key") }

// ReadGen returns the generation counter, "" when there is none yet. The
// shell hook reads the same file with its `read` builtin to skip the binary
// when nothing changed.
func ReadGen(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return line
}

// BumpGen gives the counter a new value, so every shell re-evaluates at its
// next prompt. A random value, not an increment: two processes bumping at
// once need no lock to both be seen.
func BumpGen(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".generation.*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(hex.EncodeToString(b) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Readable by the hook only: the shell reads it as the same user.
	return os.Rename(tmp.Name(), path)
}
