package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestUserPath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/x/cfg")
	if got := UserPath(); got != "/x/cfg/awsrole/config.toml" {
		t.Errorf("UserPath = %q", got)
	}
	t.Setenv("HOME", "/home/u")
	for _, x := range []string{"", "relative/cfg"} {
		t.Setenv("XDG_CONFIG_HOME", x)
		if got := UserPath(); got != "/home/u/.config/awsrole/config.toml" {
			t.Errorf("XDG_CONFIG_HOME=%q: UserPath = %q", x, got)
		}
	}
	if got := displayPath(UserPath()); got != "~/.config/awsrole/config.toml" {
		t.Errorf("displayPath = %q", got)
	}
}

func TestLoadUserDefaults(t *testing.T) {
	t.Parallel()
	want := &User{RefreshMargin: 5 * time.Minute, STSTimeout: 15 * time.Second, MFASessionDuration: 12 * time.Hour}
	for _, p := range []string{"", filepath.Join(t.TempDir(), "missing", "config.toml")} {
		u, err := LoadUser(p)
		if err != nil {
			t.Fatalf("LoadUser(%q): %v", p, err)
		}
		if !reflect.DeepEqual(u, want) {
			t.Errorf("LoadUser(%q) = %+v, want %+v", p, u, want)
		}
		if !u.AccountAllowed("123456789012") || !u.AccountAllowed("") {
			t.Error("an empty list must allow every account")
		}
	}
}

func TestLoadUser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "config.toml")
	write(t, p, `
mfa_process = "ykman oath accounts code --single aws"
allowed_accounts = ["123456789012", "111111111111"]
refresh_margin = "2m"
sts_timeout = 30
mfa_session_duration = "36h"
`, 0o600)
	u, err := LoadUser(p)
	if err != nil {
		t.Fatal(err)
	}
	want := &User{MFAProcess: "ykman oath accounts code --single aws", AllowedAccounts: []string{"123456789012", "111111111111"},
		RefreshMargin: 2 * time.Minute, STSTimeout: 30 * time.Second, MFASessionDuration: 36 * time.Hour}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("got %+v\nwant %+v", u, want)
	}
	for id, ok := range map[string]bool{"123456789012": true, "111111111111": true, "222222222222": false, "": false} {
		if u.AccountAllowed(id) != ok {
			t.Errorf("AccountAllowed(%q) = %v", id, !ok)
		}
	}

	// A symlink to the config is followed (stow, home-manager).
	link := filepath.Join(dir, "link.toml")
	must(t, os.Symlink(p, link))
	if u, err := LoadUser(link); err != nil || !reflect.DeepEqual(u, want) {
		t.Errorf("through a symlink: %+v, %v", u, err)
	}
	dangling := filepath.Join(dir, "dangling.toml")
	must(t, os.Symlink(filepath.Join(dir, "nope"), dangling))
	if _, err := LoadUser(dangling); err == nil || err.Error() != dangling+": is a dangling symbolic link; fix or remove it" {
		t.Errorf("dangling: %v", err)
	}
	// The same mode checks as a directory file.
	must(t, os.Chmod(p, 0o620))
	if _, err := LoadUser(p); err == nil || err.Error() != p+": writable by group (mode 0620); run chmod go-w "+p {
		t.Errorf("group-writable: %v", err)
	}
	if _, err := LoadUser(dir); err == nil || err.Error() != dir+": is a directory; it must be a regular file" {
		t.Errorf("directory: %v", err)
	}
}

func TestParseUserRefuses(t *testing.T) {
	t.Parallel()
	const p = "/h/.config/awsrole/config.toml"
	tests := []struct{ name, in, want string }{
		{"directory key", `role_arn = "x"`, `:1: "role_arn" belongs in a .awsrole.toml directory file, not in the user config`},
		{"typo", `mfa-process = "x"`, `:1: unknown key "mfa-process" (did you mean "mfa_process"?)`},
		{"typo accounts", `allowed_account = []`, `:1: unknown key "allowed_account" (did you mean "allowed_accounts"?)`},
		{"unknown", `colour = "red"`, `:1: unknown key "colour"; valid keys are mfa_process, allowed_accounts, refresh_margin, sts_timeout, mfa_session_duration`},
		{"accounts string", `allowed_accounts = "123456789012"`, `:1: allowed_accounts must be an array of strings, not a string`},
		{"accounts integers", `allowed_accounts = [123456789012]`, `:1: allowed_accounts[0] must be a string, not an integer`},
		{"account short", `allowed_accounts = ["123456789012", "12345"]`, `:1: allowed_accounts: "12345" is not an account id; write 12 digits, e.g. "123456789012"`},
		{"account letters", `allowed_accounts = ["12345678901a"]`, `:1: allowed_accounts: "12345678901a" is not an account id; write 12 digits, e.g. "123456789012"`},
		{"mfa_process type", `mfa_process = ["ykman"]`, `:1: mfa_process must be a string, not an array`},
		{"mfa_process empty", `mfa_process = ""`, `:1: mfa_process is empty; give it a value or remove the line`},
		{"margin too big", `refresh_margin = "15m"`, `:1: refresh_margin 15m is out of range; write 1s to 10m (1 to 600 seconds)`},
		{"margin zero", `refresh_margin = 0`, `:1: refresh_margin 0s is out of range; write 1s to 10m (1 to 600 seconds)`},
		{"timeout", `sts_timeout = "10m"`, `:1: sts_timeout 10m is out of range; write 1s to 5m (1 to 300 seconds)`},
		{"mfa session", `mfa_session_duration = "48h"`, `:1: mfa_session_duration 48h is out of range; write 15m to 36h (900 to 129600 seconds)`},
		{"mfa session type", `mfa_session_duration = 1.5`, `:1: mfa_session_duration must be a duration string like "1h" or a number of seconds, not a float`},
		{"toml", `sts_timeout = `, `:1: invalid toml: unexpected EOF; expected value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseUser(p, []byte(tt.in))
			if err == nil || err.Error() != p+tt.want {
				t.Errorf("error\n got: %v\nwant: %s", err, p+tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("not one line: %q", err)
			}
		})
	}
}
