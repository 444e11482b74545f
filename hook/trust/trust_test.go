package trust

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const (
	cfgPath = "/home/alice/proj/.awsrole.toml"
	content = "role_arn = \"arn:aws:iam::123456789012:role/deploy\"\n"
)

func check(t *testing.T, s Store, path, content string, want Status) {
	t.Helper()
	got, err := s.Check(path, []byte(content))
	if err != nil {
		t.Fatalf("Check(%s): %v", path, err)
	}
	if got != want {
		t.Fatalf("Check(%s) = %v, want %v", path, got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	s := Store{Dir: filepath.Join(t.TempDir(), "store")}

	check(t, s, cfgPath, content, NotAllowed) // no store yet
	must(t, s.Allow(cfgPath, []byte(content)))
	check(t, s, cfgPath, content, Allowed)
	check(t, s, "/home/alice/proj/sub/../.awsrole.toml", content, Allowed)
	check(t, s, "/other/.awsrole.toml", content, NotAllowed) // same content, other path

	edited := content + "region = \"us-east-1\"\n"
	check(t, s, cfgPath, edited, Changed)

	must(t, s.Deny(cfgPath))
	check(t, s, cfgPath, content, Denied)
	check(t, s, cfgPath, edited, Denied)
	check(t, s, "/other/.awsrole.toml", content, NotAllowed)

	must(t, s.Allow(cfgPath, []byte(edited)))
	check(t, s, cfgPath, edited, Allowed)
	// One allowed content per path: the old one must be allowed again.
	check(t, s, cfgPath, content, Changed)

	// Re-allowing the same content is idempotent.
	must(t, s.Allow(cfgPath, []byte(edited)))
	check(t, s, cfgPath, edited, Allowed)

	// Deny of a path never allowed.
	must(t, s.Deny("/other/.awsrole.toml"))
	check(t, s, "/other/.awsrole.toml", content, Denied)
	check(t, s, cfgPath, edited, Allowed)

	// Nothing is left behind but the entries.
	for _, sub := range []string{allowDir, pathsDir, denyDir} {
		ents, err := os.ReadDir(filepath.Join(s.Dir, sub))
		must(t, err)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".tmp") {
				t.Errorf("temp file left: %s/%s", sub, e.Name())
			}
		}
	}
	if n := count(t, filepath.Join(s.Dir, allowDir)); n != 1 {
		t.Errorf("%d allow entries, want 1", n)
	}
	b, err := os.ReadFile(filepath.Join(s.Dir, allowDir, Key(cfgPath, []byte(edited))))
	must(t, err)
	if string(b) != cfgPath+"\n" {
		t.Errorf("allow entry holds %q, want the path", b)
	}
}

// Deny also removes allow entries that paths/ does not point at (left by
// an interrupted Allow).
func TestDenyRemovesStrayEntries(t *testing.T) {
	t.Parallel()
	s := Store{Dir: t.TempDir()}
	must(t, s.Allow(cfgPath, []byte(content)))
	must(t, s.write(allowDir, Key(cfgPath, []byte("old")), cfgPath+"\n"))
	check(t, s, cfgPath, "old", Allowed)
	must(t, s.Deny(cfgPath))
	if n := count(t, filepath.Join(s.Dir, allowDir)); n != 0 {
		t.Errorf("%d allow entries left after deny", n)
	}
	must(t, s.Allow(cfgPath, []byte(content)))
	check(t, s, cfgPath, "old", Changed)
}

func TestKey(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte("/p/.awsrole.toml\nx = 1\n"))
	if got, want := Key("/p/.awsrole.toml", []byte("x = 1\n")), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Key = %s, want %s", got, want)
	}
}

func TestRelativePathRefused(t *testing.T) {
	t.Parallel()
	s := Store{Dir: t.TempDir()}
	if _, err := s.Check("proj/.awsrole.toml", nil); err == nil || err.Error() != "proj/.awsrole.toml: not an absolute path" {
		t.Errorf("Check: %v", err)
	}
	if err := s.Allow("proj/.awsrole.toml", nil); err == nil {
		t.Error("Allow accepted a relative path")
	}
	if err := s.Deny("proj/.awsrole.toml"); err == nil {
		t.Error("Deny accepted a relative path")
	}
}

func TestNoDir(t *testing.T) {
	t.Parallel()
	var s Store
	if st, err := s.Check(cfgPath, nil); st != NotAllowed || err == nil {
		t.Errorf("Check = %v, %v", st, err)
	}
	if err := s.Allow(cfgPath, nil); err == nil {
		t.Error("Allow with no dir succeeded")
	}
}

// Modes are 0700/0600 whatever the umask. Not parallel: the umask is
// process-wide.
func TestModesUnderUmask0(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	base := t.TempDir()
	s := Store{Dir: filepath.Join(base, "xdg", "awsrole")}
	must(t, s.Allow(cfgPath, []byte(content)))
	must(t, s.Deny("/other/.awsrole.toml"))
	for _, d := range []string{filepath.Join(base, "xdg"), s.Dir, filepath.Join(s.Dir, allowDir), filepath.Join(s.Dir, pathsDir), filepath.Join(s.Dir, denyDir)} {
		fi, err := os.Stat(d)
		must(t, err)
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %04o, want 0700", d, fi.Mode().Perm())
		}
	}
	err := filepath.WalkDir(s.Dir, func(p string, e os.DirEntry, err error) error {
		must(t, err)
		if e.Type().IsRegular() {
			fi, err := e.Info()
			must(t, err)
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %04o, want 0600", p, fi.Mode().Perm())
			}
		}
		return nil
	})
	must(t, err)
	check(t, s, cfgPath, content, Allowed)
}

func TestUntrustedStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(s Store) string // returns the path the error names
		want  string               // after "<path>: "
		entry bool                 // a bad entry, which Allow replaces
	}{
		{"world-writable store", func(s Store) string {
			must(t, os.Chmod(s.Dir, 0o777))
			return s.Dir
		}, "writable by group or others (mode 0777); not trusting the store; run chmod go-w PATH", false},
		{"group-writable allow dir", func(s Store) string {
			d := filepath.Join(s.Dir, allowDir)
			must(t, os.Chmod(d, 0o770))
			return d
		}, "writable by group or others (mode 0770); not trusting the store; run chmod go-w PATH", false},
		{"world-writable deny dir", func(s Store) string {
			d := filepath.Join(s.Dir, denyDir)
			must(t, os.Chmod(d, 0o703))
			return d
		}, "writable by group or others (mode 0703); not trusting the store; run chmod go-w PATH", false},
		{"group-writable entry", func(s Store) string {
			p := filepath.Join(s.Dir, allowDir, Key(cfgPath, []byte(content)))
			must(t, os.Chmod(p, 0o660))
			return p
		}, "writable by group or others (mode 0660); not trusting the store; run chmod go-w PATH", true},
		{"symlinked entry", func(s Store) string {
			p := filepath.Join(s.Dir, allowDir, Key(cfgPath, []byte(content)))
			must(t, os.Remove(p))
			must(t, os.Symlink("/etc/hostname", p))
			return p
		}, "not a regular file; remove it and run 'awsrole allow' or 'awsrole deny' again", true},
		{"symlinked allow dir", func(s Store) string {
			d := filepath.Join(s.Dir, allowDir)
			must(t, os.Rename(d, d+".real"))
			must(t, os.Symlink(d+".real", d))
			return d
		}, "trust store is not a directory", false},
		{"store is a file", func(s Store) string {
			must(t, os.RemoveAll(s.Dir))
			must(t, os.WriteFile(s.Dir, nil, 0o600))
			return s.Dir
		}, "trust store is not a directory", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := Store{Dir: filepath.Join(t.TempDir(), "store")}
			must(t, s.Allow(cfgPath, []byte(content)))
			p := tt.setup(s)
			st, err := s.Check(cfgPath, []byte(content))
			want := p + ": " + strings.ReplaceAll(tt.want, "PATH", p)
			if st != NotAllowed || err == nil || err.Error() != want {
				t.Errorf("Check = %v, %v\nwant NotAllowed, %s", st, err, want)
			}
			err = s.Allow(cfgPath, []byte(content))
			if !tt.entry {
				if err == nil {
					t.Error("Allow into an untrusted store succeeded")
				}
				return
			}
			// A bad entry is replaced by Allow's atomic rename.
			must(t, err)
			check(t, s, cfgPath, content, Allowed)
		})
	}
}

func TestForeignOwner(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown to another user")
	}
	s := Store{Dir: filepath.Join(t.TempDir(), "store")}
	must(t, s.Allow(cfgPath, []byte(content)))
	p := filepath.Join(s.Dir, allowDir, Key(cfgPath, []byte(content)))
	must(t, os.Chown(p, 12345, 12345))
	st, err := s.Check(cfgPath, []byte(content))
	want := p + ": owned by uid 12345, not by you (uid 0) or root; not trusting the store"
	if st != NotAllowed || err == nil || err.Error() != want {
		t.Errorf("Check = %v, %v\nwant NotAllowed, %s", st, err, want)
	}
	must(t, os.Chown(s.Dir, 12345, 12345))
	want = s.Dir + ": owned by uid 12345, not by you (uid 0) or root; not trusting the store"
	if _, err := s.Check(cfgPath, []byte(content)); err == nil || err.Error() != want {
		t.Errorf("Check = %v, want %s", err, want)
	}
}

// The store root may be a symlink (a dotfile manager may link
// ~/.local/share); its target is what is judged.
func TestSymlinkedRoot(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	real := filepath.Join(base, "real")
	must(t, os.Mkdir(real, 0o700))
	must(t, os.Symlink(real, filepath.Join(base, "link")))
	s := Store{Dir: filepath.Join(base, "link")}
	must(t, s.Allow(cfgPath, []byte(content)))
	check(t, s, cfgPath, content, Allowed)
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/x/data")
	if got := DefaultDir(); got != "/x/data/awsrole" {
		t.Errorf("DefaultDir = %q", got)
	}
	t.Setenv("XDG_DATA_HOME", "relative")
	t.Setenv("HOME", "/home/u")
	if got := DefaultDir(); got != "/home/u/.local/share/awsrole" {
		t.Errorf("DefaultDir = %q", got)
	}
}

func TestStatusString(t *testing.T) {
	t.Parallel()
	for st, want := range map[Status]string{Allowed: "allowed", NotAllowed: "not allowed", Changed: "changed", Denied: "denied"} {
		if st.String() != want {
			t.Errorf("%d.String() = %q", st, st.String())
		}
	}
}

func BenchmarkCheckAllowed(b *testing.B) {
	s := Store{Dir: b.TempDir()}
	if err := s.Allow(cfgPath, []byte(content)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if st, err := s.Check(cfgPath, []byte(content)); st != Allowed || err != nil {
			b.Fatal(st, err)
		}
	}
}

func count(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	must(t, err)
	return len(ents)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
