// Package trust is the allow/deny store for .awsrole.toml files.
//
// A file is trusted for its exact path and content: the allow key is
// sha256(path + "\n" + content). Layout under Store.Dir:
//
//	allow/<key>         an allowed (path, content); holds the path
//	paths/<sha256(path)> the key last allowed for that path, so that an
//	                    edited file reads as Changed rather than NotAllowed
//	deny/<sha256(path)> a denied path; holds the path
//
// Directories are 0700 and files 0600 whatever the umask, and every file is
// written to a temporary file and renamed into place. A store directory or
// entry that is not owned by the user (or root) or is writable by group or
// others is not trusted: Check reports NotAllowed with an error saying why.
//
// Check costs a few stats and no reads; it runs at every prompt that needs
// it.
package trust

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// Store is an allow/deny store rooted at Dir.
type Store struct{ Dir string }

// DefaultDir is $XDG_DATA_HOME/awsrole, or ~/.local/share/awsrole when
// XDG_DATA_HOME is unset or not absolute, or "" without a home directory.
func DefaultDir() string {
	if x := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "awsrole")
	}
	home, err := os.UserHomeDir()
	if err != nil || !filepath.IsAbs(home) {
		return ""
	}
	return filepath.Join(home, ".local", "share", "awsrole")
}

// Status is the trust state of a file.
type Status int

const (
	// NotAllowed: never allowed (or the store cannot be trusted).
	NotAllowed Status = iota
	// Allowed: this path with this content was allowed.
	Allowed
	// Changed: the path was allowed before, but with other content.
	Changed
	// Denied: the path was denied.
	Denied
)

func (s Status) String() string {
	switch s {
	case Allowed:
		return "allowed"
	case Changed:
		return "changed"
	case Denied:
		return "denied"
	}
	return "not allowed"
}

const (
	allowDir = "allow"
	pathsDir = "paths"
	denyDir  = "deny"
)

// Key is the allow key of path with content: hex sha256(path "\n" content).
func Key(path string, content []byte) string {
	h := sha256.New()
	h.Write([]byte(path))
	h.Write([]byte{'\n'})
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

func pathKey(path string) string {
	sum := sha256.Sum256([]byte(path))
	return hex.EncodeToString(sum[:])
}

func cleanPath(path string) (string, error) {
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("%s: not an absolute path", show(path))
	}
	return filepath.Clean(path), nil
}

// Check reports the trust status of path with content. On any error the
// status is NotAllowed.
func (s Store) Check(path string, content []byte) (Status, error) {
	path, err := cleanPath(path)
	if err != nil {
		return NotAllowed, err
	}
	if s.Dir == "" {
		return NotAllowed, errors.New("trust store: no directory (set XDG_DATA_HOME or HOME)")
	}
	switch ok, err := s.trustedDir(s.Dir, true); {
	case err != nil:
		return NotAllowed, err
	case !ok:
		return NotAllowed, nil // nothing was ever allowed
	}
	pk := pathKey(path)
	if ok, err := s.entry(denyDir, pk); err != nil {
		return NotAllowed, err
	} else if ok {
		return Denied, nil
	}
	if ok, err := s.entry(allowDir, Key(path, content)); err != nil {
		return NotAllowed, err
	} else if ok {
		return Allowed, nil
	}
	if ok, err := s.entry(pathsDir, pk); err != nil {
		return NotAllowed, err
	} else if ok {
		return Changed, nil
	}
	return NotAllowed, nil
}

// entry reports whether sub/name exists, checking the sub directory and the
// entry can be trusted.
func (s Store) entry(sub, name string) (bool, error) {
	dir := filepath.Join(s.Dir, sub)
	if ok, err := s.trustedDir(dir, false); err != nil || !ok {
		return false, err
	}
	p := filepath.Join(dir, name)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %s", show(p), errText(err))
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("%s: not a regular file; remove it and run 'awsrole allow' or 'awsrole deny' again", show(p))
	}
	if err := checkOwner(p, fi); err != nil {
		return false, err
	}
	return true, nil
}

// trustedDir reports whether dir exists, refusing one that is not a
// directory, not owned by the user or root, or writable by group or others.
// The store's root may be a symlink (follow); its sub directories may not.
func (s Store) trustedDir(dir string, follow bool) (bool, error) {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	fi, err := stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %s", show(dir), errText(err))
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("%s: trust store is not a directory", show(dir))
	}
	if err := checkOwner(dir, fi); err != nil {
		return false, err
	}
	return true, nil
}

// checkOwner refuses an entry owned by another user than the current one
// or root (root can rewrite the user's files anyway), or writable by group
// or others.
func checkOwner(p string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: cannot tell who owns it; not trusting the store", show(p))
	}
	if uid := uint32(os.Geteuid()); st.Uid != uid && st.Uid != 0 {
		return fmt.Errorf("%s: owned by uid %d, not by you (uid %d) or root; not trusting the store", show(p), st.Uid, uid)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%s: writable by group or others (mode %04o); not trusting the store; run chmod go-w %s", show(p), perm, shellQuote(p))
	}
	return nil
}

// Allow trusts path with content, and clears a deny of path.
func (s Store) Allow(path string, content []byte) error {
	path, err := cleanPath(path)
	if err != nil {
		return err
	}
	if err := s.prepare(); err != nil {
		return err
	}
	pk, key := pathKey(path), Key(path, content)
	old := s.lastKey(pk)
	// Order matters for a crash midway: the deny goes last, so an
	// interrupted allow of a denied path stays denied.
	if err := s.write(allowDir, key, path+"\n"); err != nil {
		return err
	}
	if err := s.write(pathsDir, pk, key+"\n"); err != nil {
		return err
	}
	if err := s.remove(denyDir, pk); err != nil {
		return err
	}
	// One allowed content per path: an edited file reverted to an older
	// allowed content must be allowed again.
	if old != "" && old != key {
		if err := s.remove(allowDir, old); err != nil {
			return err
		}
	}
	return nil
}

// Deny denies path (whatever its content) and forgets its allow entries.
func (s Store) Deny(path string) error {
	path, err := cleanPath(path)
	if err != nil {
		return err
	}
	if err := s.prepare(); err != nil {
		return err
	}
	pk := pathKey(path)
	// The deny goes first, so the path is denied even if the rest fails.
	if err := s.write(denyDir, pk, path+"\n"); err != nil {
		return err
	}
	if old := s.lastKey(pk); old != "" {
		if err := s.remove(allowDir, old); err != nil {
			return err
		}
	}
	// Entries left by an interrupted Allow are not in paths/; find them by
	// the path they hold. Deny is rare; reading the directory is fine.
	dir := filepath.Join(s.Dir, allowDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%s: %s", show(dir), errText(err))
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil && strings.TrimSuffix(string(b), "\n") == path {
			if err := s.remove(allowDir, e.Name()); err != nil {
				return err
			}
		}
	}
	return s.remove(pathsDir, pk)
}

// lastKey is the allow key recorded for a path, or "".
func (s Store) lastKey(pk string) string {
	b, err := os.ReadFile(filepath.Join(s.Dir, pathsDir, pk))
	if err != nil {
		return ""
	}
	k := strings.TrimSpace(string(b))
	if len(k) != 64 || strings.Trim(k, "0123456789abcdef") != "" {
		return ""
	}
	return k
}

// prepare creates the store's directories 0700 and checks them.
func (s Store) prepare() error {
	if s.Dir == "" {
		return errors.New("trust store: no directory (set XDG_DATA_HOME or HOME)")
	}
	if err := mkdir(s.Dir, true); err != nil {
		return err
	}
	for _, sub := range []string{allowDir, pathsDir, denyDir} {
		if err := mkdir(filepath.Join(s.Dir, sub), false); err != nil {
			return err
		}
	}
	return nil
}

// mkdir makes dir (and missing parents) and sets 0700 on a directory it
// created, whatever the umask; an existing directory must already be
// trustworthy. The root's parents are made 0700 too (XDG says so for
// $XDG_DATA_HOME).
func mkdir(dir string, follow bool) error {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	if _, err := stat(dir); errors.Is(err, fs.ErrNotExist) {
		if parent := filepath.Dir(dir); parent != dir {
			if _, err := os.Stat(parent); errors.Is(err, fs.ErrNotExist) {
				if err := mkdir(parent, true); err != nil {
					return err
				}
			}
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %s", show(dir), errText(err))
		} else if err == nil {
			if err := os.Chmod(dir, 0o700); err != nil {
				return fmt.Errorf("%s: %s", show(dir), errText(err))
			}
		}
	}
	fi, err := stat(dir)
	if err != nil {
		return fmt.Errorf("%s: %s", show(dir), errText(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: trust store is not a directory", show(dir))
	}
	return checkOwner(dir, fi)
}

// write puts data in sub/name atomically, mode 0600.
func (s Store) write(sub, name, data string) error {
	dir := filepath.Join(s.Dir, sub)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: %s", show(dir), errText(err))
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("%s: %s", show(tmp), errText(err))
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.WriteString(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %s", show(tmp), errText(err))
	}
	dst := filepath.Join(dir, name)
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %s", show(dst), errText(err))
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: make the rename durable
		d.Close()
	}
	return nil
}

func (s Store) remove(sub, name string) error {
	p := filepath.Join(s.Dir, sub, name)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %s", show(p), errText(err))
	}
	return nil
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return err.Error()
}

// show renders a path on one line: as is, or quoted when it holds control
// characters or invalid UTF-8.
func show(p string) string {
	if !utf8.ValidString(p) || strings.IndexFunc(p, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	}) >= 0 {
		return strconv.Quote(p)
	}
	return p
}

// shellQuote renders a path to paste into a suggested command.
func shellQuote(p string) string {
	if s := show(p); s != p {
		return s
	}
	if strings.IndexFunc(p, func(r rune) bool {
		return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("/._-+=:,@%", r)))
	}) < 0 {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
