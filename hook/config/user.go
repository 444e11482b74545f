package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// User is the user's own config: settings a directory file must never set.
type User struct {
	// MFAProcess is a command that prints an MFA code, run instead of asking
	// on the terminal. Empty: ask.
	MFAProcess string
	// AllowedAccounts restricts the accounts a directory file may name.
	// Empty: all accounts are allowed.
	AllowedAccounts []string
	// RefreshMargin is how long before expiry credentials are refreshed.
	RefreshMargin time.Duration
	// STSTimeout bounds each STS call.
	STSTimeout time.Duration
	// MFASessionDuration is the GetSessionToken duration of the shared MFA
	// session that roles behind one mfa_serial are assumed from.
	MFASessionDuration time.Duration
}

// Defaults for a missing user config or missing keys.
const (
	DefaultRefreshMargin      = 5 * time.Minute
	DefaultSTSTimeout         = 15 * time.Second
	DefaultMFASessionDuration = 12 * time.Hour
)

// Keys of the user config.
const (
	keyMFAProcess         = "mfa_process"
	keyAllowedAccounts    = "allowed_accounts"
	keyRefreshMargin      = "refresh_margin"
	keySTSTimeout         = "sts_timeout"
	keyMFASessionDuration = "mfa_session_duration"
)

var userKeys = []string{keyMFAProcess, keyAllowedAccounts, keyRefreshMargin, keySTSTimeout, keyMFASessionDuration}

// Limits of the user config's durations.
const (
	minRefreshMargin = time.Second
	// Below the shortest credential lifetime (15m), or every credential
	// would be due for refresh as soon as it is obtained.
	maxRefreshMargin = 10 * time.Minute
	minSTSTimeout    = time.Second
	maxSTSTimeout    = 5 * time.Minute
)

// DefaultUser returns the settings used when there is no user config.
func DefaultUser() *User {
	return &User{
		RefreshMargin:      DefaultRefreshMargin,
		STSTimeout:         DefaultSTSTimeout,
		MFASessionDuration: DefaultMFASessionDuration,
	}
}

// UserPath is $XDG_CONFIG_HOME/awsrole/config.toml, or
// ~/.config/awsrole/config.toml when XDG_CONFIG_HOME is unset or not
// absolute (as the XDG spec says), or "" when there is no home either.
func UserPath() string {
	if x := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "awsrole", "config.toml")
	}
	home, err := os.UserHomeDir()
	if err != nil || !filepath.IsAbs(home) {
		return ""
	}
	return filepath.Join(home, ".config", "awsrole", "config.toml")
}

// LoadUser reads the user config at path. A missing file (or path "")
// gives the defaults.
//
// The checks are those of Load, with one difference: a symlink is followed
// (dotfile managers such as stow and home-manager link the user's config into
// place) and the file it points at must be a regular file owned by the user
// or root and not writable by group or others.
func LoadUser(path string) (*User, error) {
	if path == "" {
		return DefaultUser(), nil
	}
	content, err := readSecure(path, true)
	if err != nil {
		if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
			if _, lerr := os.Lstat(path); errors.Is(lerr, fs.ErrNotExist) {
				return DefaultUser(), nil
			}
			return nil, errAt(path, 0, "is a dangling symbolic link; fix or remove it")
		}
		return nil, err
	}
	return ParseUser(path, content)
}

// ParseUser validates content as the user config at path.
func ParseUser(path string, content []byte) (*User, error) {
	d, err := parseDoc(path, content)
	if err != nil {
		return nil, err
	}
	u := DefaultUser()
	for _, k := range d.keys {
		if err := u.set(d, k); err != nil {
			return nil, err
		}
	}
	return u, nil
}

func (u *User) set(d *doc, k string) error {
	if !contains(userKeys, k) {
		if contains(fileKeys, k) {
			return d.err(k, "%s belongs in a %s directory file, not in the user config", quote(k), FileName)
		}
		if s := suggest(k, userKeys); s != "" {
			return d.err(k, "unknown key %s (did you mean %q?)", quote(k), s)
		}
		return d.err(k, "unknown key %s; valid keys are %s", quote(k), strings.Join(userKeys, ", "))
	}
	switch k {
	case keyMFAProcess:
		s, err := d.str(k)
		if err != nil {
			return err
		}
		u.MFAProcess = s
	case keyAllowedAccounts:
		list, err := d.strList(k)
		if err != nil {
			return err
		}
		for _, id := range list {
			if !isDigits(id, 12) {
				return d.err(k, "allowed_accounts: %s is not an account id; write 12 digits, e.g. \"123456789012\"", quote(id))
			}
		}
		u.AllowedAccounts = list
	case keyRefreshMargin:
		return durationIn(d, k, &u.RefreshMargin, minRefreshMargin, maxRefreshMargin)
	case keySTSTimeout:
		return durationIn(d, k, &u.STSTimeout, minSTSTimeout, maxSTSTimeout)
	case keyMFASessionDuration:
		return durationIn(d, k, &u.MFASessionDuration, minDuration, maxSessionDuration)
	}
	return nil
}

func durationIn(d *doc, k string, dst *time.Duration, min, max time.Duration) error {
	v, err := d.duration(k)
	if err != nil {
		return err
	}
	if v < min || v > max {
		return d.err(k, "%s %s is out of range; write %s to %s (%d to %d seconds)",
			k, fmtDur(v), fmtDur(min), fmtDur(max), int(min.Seconds()), int(max.Seconds()))
	}
	*dst = v
	return nil
}

// AccountAllowed reports whether a directory file may name account id: true
// when the list is empty, else only for a listed id. An unknown account ("",
// as for a profile or a hardware MFA serial) is allowed only when the list is
// empty; the caller must check the account it actually got.
func (u *User) AccountAllowed(id string) bool {
	if len(u.AllowedAccounts) == 0 {
		return true
	}
	return contains(u.AllowedAccounts, id)
}
