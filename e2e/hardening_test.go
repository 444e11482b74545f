package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/awsrole/awsrole/internal/testenv"
	"github.com/awsrole/awsrole/internal/teststs"
)

// promptBound is how long any prompt may take in these tests: above the
// 10 s STS timeout they configure at most, far below a hung terminal.
const promptBound = 20 * time.Second

var shellKinds = []string{"bash", "zsh", "fish"}

// awsroleLines returns the lines of out that awsrole printed.
func awsroleLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "awsrole:") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return lines
}

// wantOneLine checks that out is exactly one awsrole line and that it says
// each of wants.
func wantOneLine(t *testing.T, out string, wants ...string) {
	t.Helper()
	lines := awsroleLines(out)
	other := strings.TrimSpace(out)
	if len(lines) != 1 || other != lines[0] {
		t.Errorf("want exactly one awsrole line, got:\n%s", out)
		return
	}
	for _, w := range wants {
		if !strings.Contains(lines[0], w) {
			t.Errorf("the line does not say %q:\n%s", w, lines[0])
		}
	}
}

// timedRun runs line in s and fails if the prompt took longer than promptBound.
func timedRun(t *testing.T, s interface{ Run(string) string }, line string) string {
	t.Helper()
	start := time.Now()
	out := s.Run(line)
	if d := time.Since(start); d > promptBound {
		t.Errorf("%q: the prompt came back after %s", line, d)
	}
	return out
}

// quietNextPrompt checks that a failure is said once: the next prompt in the
// same place prints nothing, unless the generation changed since gen (read
// before the last prompt), which legitimately re-evaluates (the watcher
// bumps it when a watched directory changes).
func quietNextPrompt(t *testing.T, w *world, s interface{ Run(string) string }, gen string) {
	t.Helper()
	out := timedRun(t, s, "true")
	if strings.TrimSpace(out) != "" && w.gen() == gen {
		t.Errorf("a later prompt in the same place printed again:\n%s", out)
	}
}

// mustNotExist fails if an injection attempt created its marker file.
func mustNotExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); err == nil {
		t.Errorf("%s exists: something in a directory file ran a command", path)
	}
}

// hostileFile is one .awsrole.toml a cloned repository could carry.
type hostileFile struct {
	name  string
	setup func(t *testing.T, w *world, dir, pwned string) // makes dir/.awsrole.toml
	want  string                                          // what the one line says
	allow bool                                            // the user ran 'awsrole allow' on it first
}

func writeToml(content string) func(t *testing.T, w *world, dir, pwned string) {
	return func(t *testing.T, w *world, dir, pwned string) {
		t.Helper()
		c := strings.ReplaceAll(content, "PWNED", pwned)
		if err := os.WriteFile(filepath.Join(dir, ".awsrole.toml"), []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

var hostileFiles = []hostileFile{
	{name: "unknown key", setup: writeToml("role_arn = \"" + deployRole + "\"\nrole_session = \"x\"\n"), want: `unknown key "role_session"`},
	{name: "wrong type", setup: writeToml("role_arn = 222222222222\n"), want: "role_arn must be a string, not an integer"},
	{name: "table for a string", setup: writeToml("role_arn = { arn = \"" + deployRole + "\" }\n"), want: "role_arn must be a string, not a table"},
	{name: "huge file", setup: writeToml("role_arn = \"" + deployRole + "\"\n" + strings.Repeat("# padding\n", 2<<20)), want: "larger than 64 KiB"},
	{name: "binary data", setup: writeToml("role_arn = \"\x00\x01\xff\xfe\x1b[2J\"\n"), want: "binary data"},
	{name: "deeply nested arrays", setup: writeToml("a = " + strings.Repeat("[", 32000) + strings.Repeat("]", 32000) + "\n"), want: ".awsrole.toml"},
	{name: "deeply nested tables", setup: func(t *testing.T, w *world, dir, pwned string) {
		var b strings.Builder
		for i := 1; b.Len() < 60<<10; i++ {
			b.WriteString("[" + strings.Repeat("a.", i) + "b]\n")
		}
		writeToml(b.String()[:60<<10])(t, w, dir, pwned)
	}, want: ".awsrole.toml"},
	{name: "duplicate keys", setup: writeToml("role_arn = \"" + deployRole + "\"\nrole_arn = \"" + auditRole + "\"\n"), want: `duplicate key "role_arn"`, allow: true},
	{name: "injection in role_arn", setup: writeToml("role_arn = \"" + deployRole + "$(touch PWNED)\"\n"), want: "is not an iam role arn", allow: true},
	{name: "injection in region", setup: writeToml("role_arn = \"" + deployRole + "\"\nregion = \"eu-west-1'; touch PWNED; '\"\n"), want: "is not a region name", allow: true},
	{name: "injection in session_name", setup: writeToml("role_arn = \"" + deployRole + "\"\nsession_name = \"`touch PWNED`\"\n"), want: "session_name", allow: true},
	{name: "injection in external_id", setup: writeToml("role_arn = \"" + deployRole + "\"\nexternal_id = \"\\\"; touch PWNED; \\\"\"\n"), want: "external_id is invalid", allow: true},
	{name: "terminal escape in a value", setup: writeToml("role_arn = \"" + deployRole + "\"\nregion = \"\\u001b]0;pwned\\u0007\"\n"), want: "control character", allow: true},
	{name: "mfa_process", setup: writeToml("role_arn = \"" + deployRole + "\"\nmfa_process = \"touch PWNED; echo 123456\"\n"), want: `"mfa_process" belongs in the user config`, allow: true},
	{name: "credential_process", setup: writeToml("role_arn = \"" + deployRole + "\"\ncredential_process = \"touch PWNED\"\n"), want: `"credential_process" cannot be used in a directory file`, allow: true},
	{name: "symlink to an allowed file", setup: func(t *testing.T, w *world, dir, pwned string) {
		// The trust check must not be reachable through a link to a
		// file the user trusts elsewhere.
		if err := os.Symlink(filepath.Join(w.home, "trusted", ".awsrole.toml"), filepath.Join(dir, ".awsrole.toml")); err != nil {
			t.Fatal(err)
		}
	}, want: "is a symbolic link"},
	{name: "symlink to a device", setup: func(t *testing.T, w *world, dir, pwned string) {
		if err := os.Symlink("/dev/zero", filepath.Join(dir, ".awsrole.toml")); err != nil {
			t.Fatal(err)
		}
	}, want: "is a symbolic link"},
	{name: "fifo", setup: func(t *testing.T, w *world, dir, pwned string) {
		if err := syscall.Mkfifo(filepath.Join(dir, ".awsrole.toml"), 0o600); err != nil {
			t.Fatal(err)
		}
	}, want: "is a named pipe (fifo)"},
	{name: "directory", setup: func(t *testing.T, w *world, dir, pwned string) {
		if err := os.Mkdir(filepath.Join(dir, ".awsrole.toml"), 0o700); err != nil {
			t.Fatal(err)
		}
	}, want: "is a directory"},
	{name: "group writable", setup: func(t *testing.T, w *world, dir, pwned string) {
		writeToml("role_arn = \""+deployRole+"\"\n")(t, w, dir, pwned)
		if err := os.Chmod(filepath.Join(dir, ".awsrole.toml"), 0o620); err != nil {
			t.Fatal(err)
		}
	}, want: "writable by group"},
	{name: "world writable", setup: func(t *testing.T, w *world, dir, pwned string) {
		writeToml("role_arn = \""+deployRole+"\"\n")(t, w, dir, pwned)
		if err := os.Chmod(filepath.Join(dir, ".awsrole.toml"), 0o602); err != nil {
			t.Fatal(err)
		}
	}, want: "writable by others"},
	{name: "owned by another user", setup: func(t *testing.T, w *world, dir, pwned string) {
		writeToml("role_arn = \""+deployRole+"\"\n")(t, w, dir, pwned)
		if os.Getuid() != 0 {
			notPossible(t, "chown to another user needs root")
		}
		if err := os.Chown(filepath.Join(dir, ".awsrole.toml"), 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}, want: "owned by uid 65534"},
}

// notPossible is testenv's rule for a capability the machine lacks: skip
// locally, fail under CI.
func notPossible(t *testing.T, why string) {
	t.Helper()
	if testenv.InCI() {
		t.Fatalf("CI=true: %s", why)
	}
	t.Skip(why)
}

// TestHostileConfigInRealShells: every kind of hostile .awsrole.toml, in each
// real shell, gives one line naming the file and the problem, exports
// nothing, calls no STS, runs no command, and gives the prompt back at once
// (a FIFO does not hang it). Where the user was tricked into allowing the
// file, validation still refuses it: allowing never reaches past the schema.
func TestHostileConfigInRealShells(t *testing.T) {
	for _, kind := range shellKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			trusted := w.project("trusted", deployFile)
			if out, err := w.awsrole(trusted, "allow"); err != nil {
				t.Fatalf("allow: %v\n%s", err, out)
			}
			type made struct {
				hostileFile
				dir, pwned string
			}
			var cases []made
			for i, h := range hostileFiles {
				dir := filepath.Join(w.home, fmt.Sprintf("hostile%02d", i))
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				pwned := filepath.Join(w.home, fmt.Sprintf("PWNED%02d", i))
				skipped := false
				t.Run(h.name+"/setup", func(t *testing.T) {
					h.setup(t, w, dir, pwned)
					skipped = t.Skipped()
				})
				if skipped {
					continue
				}
				if h.allow {
					// Whatever allow says about an invalid file, the hook must
					// still refuse it.
					out, _ := w.awsrole(dir, "allow")
					mustNotExist(t, pwned)
					_ = out
				}
				cases = append(cases, made{h, dir, pwned})
			}
			s := w.shell(kind)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					out := timedRun(t, s, "cd "+s.Quote(c.dir))
					wantOneLine(t, out, "awsrole: "+filepath.Join(c.dir, ".awsrole.toml"), c.want)
					gen := w.gen()
					assertNoCredentials(t, s.Env())
					mustNotExist(t, c.pwned)
					quietNextPrompt(t, w, s, gen)
					wantOneLine(t, timedRun(t, s, "cd ~"), "awsrole: unloaded")
					if env := s.Env(); env["AWS_PROFILE"] != "dev" || env["AWS_SECURITY_TOKEN"] != staleToken {
						t.Errorf("leaving did not restore the user's own variables")
					}
				})
			}
			if n := len(w.sts.Requests()); n != 0 {
				t.Errorf("hostile files made %d STS requests", n)
			}
		})
	}
}

// hostileNames are directory names that break naive quoting or terminals.
var hostileNames = []string{
	"$(touch PWNED)", "`touch PWNED`", "'; touch PWNED; '", "\"; touch PWNED; \"",
	"a;touch PWNED", "-rf", "--", "%s%n%(x)T%%", "*?[a]{b,c}~", "$HOME ${PATH}", `back\slash\`,
	" lead and trail ", "new\nline", "carriage\rreturn", "tab\tx", "\x1b]0;pwned title\x07",
	"\x1b[2J\x1b[31mred", "\xff\xfe invalid utf-8", "é ü 日本 🎉", "\u202eRTL override",
	"fish (touch PWNED) {a,b}", strings.Repeat("long", 63),
}

// TestHostileDirectoryNamesInRealShells enters projects whose directory
// names are hostile, in each real shell: the role is exported, nothing runs,
// PWD is intact, and leaving restores the shell.
func TestHostileDirectoryNamesInRealShells(t *testing.T) {
	for _, kind := range shellKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			pwned := filepath.Join(w.home, "PWNED")
			var dirs []string
			for i, name := range hostileNames {
				name = strings.ReplaceAll(name, "PWNED", pwned)
				name = strings.ReplaceAll(name, "/", "_")
				// Each under its own parent, so that names like "--" are fine.
				dir := filepath.Join(w.home, fmt.Sprintf("p%02d", i), name)
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				w.project(strings.TrimPrefix(dir, w.home+"/"), deployFile)
				if out, err := w.awsrole(dir, "allow"); err != nil {
					t.Fatalf("allow %q: %v\n%s", dir, err, out)
				}
				dirs = append(dirs, dir)
				// Typed as "cd $AWSROLE_T_NN": byte-exact in every shell.
				w.env = append(w.env, fmt.Sprintf("AWSROLE_T_%02d=%s", i, dir))
			}
			s := w.shell(kind)
			for i, dir := range dirs {
				t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
					v := fmt.Sprintf("$AWSROLE_T_%02d", i)
					if kind != "fish" {
						v = `"` + v + `"`
					}
					out := timedRun(t, s, "cd "+v)
					wantOneLine(t, out, "awsrole: assumed "+deployRole)
					env := s.Env()
					assertRole(t, env, deployRole, "ap-east-1")
					if env["PWD"] != dir {
						t.Errorf("PWD = %q, want %q", env["PWD"], dir)
					}
					mustNotExist(t, pwned)
					wantOneLine(t, timedRun(t, s, "cd ~"), "awsrole: unloaded")
					if env := s.Env(); env["AWS_PROFILE"] != "dev" || env["AWS_ACCESS_KEY_ID"] != "" {
						t.Errorf("leaving %q did not restore the shell", dir)
					}
				})
			}
		})
	}
}

// TestHostileDirectoryMessagesAreOneLine: the message for a project whose
// name holds control characters is still one line on stderr, and carries no
// raw control character (an escape sequence in a cloned repository's
// directory name must not reach the terminal: it can retitle the window,
// rewrite what is on screen, or on some terminals set the clipboard).
// Every message goes through cmd/awsrole's oneLine, which escapes them.
func TestHostileDirectoryMessagesAreOneLine(t *testing.T) {
	w := newWorld(t)
	for i, name := range hostileNames {
		name = strings.ReplaceAll(name, "/", "_")
		dir := filepath.Join(w.home, fmt.Sprintf("m%02d", i), name)
		w.project(strings.TrimPrefix(dir, w.home+"/"), deployFile)
		for _, kind := range shellKinds {
			cmd := exec.Command(awsroleBin, "export", kind)
			cmd.Dir = dir
			cmd.Env = append(append([]string{}, w.env...), "PWD="+dir)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%q: %v\n%s", dir, err, stderr.String())
			}
			msg := stderr.String()
			if !strings.HasPrefix(msg, "awsrole: ") || !strings.HasSuffix(msg, " is not allowed; run 'awsrole allow' to trust it\n") {
				t.Errorf("%s in %q: stderr %q, want the one not-allowed line", kind, name, msg)
				continue
			}
			// The same rule hook/config applies to paths in its messages:
			// valid UTF-8, no control or invisible format characters
			// (a bidi override reorders what the user reads).
			if why := unsafeForTerminal(msg); why != "" {
				t.Errorf("%s in %q: stderr %s: %q", kind, name, why, msg)
			}
		}
		// status and doctor name the file here too, on their own output.
		for _, args := range [][]string{{"status"}, {"doctor"}} {
			cmd := exec.Command(awsroleBin, args...)
			cmd.Dir = dir
			cmd.Env = append(append([]string{}, w.env...), "PWD="+dir)
			out, _ := cmd.CombinedOutput() // doctor exits 1: it finds the file blocked
			if !strings.Contains(string(out), ".awsrole.toml") {
				t.Errorf("%s in %q does not name the file: %q", args[0], name, out)
			}
			if why := unsafeForTerminal(string(out)); why != "" {
				t.Errorf("%s in %q: output %s: %q", args[0], name, why, out)
			}
		}
	}
}

// unsafeForTerminal says what in out a terminal would act on or a reader be
// misled by, line by line: invalid UTF-8, a control or an invisible format
// character (a bidi override reorders what the user reads); "" when none.
func unsafeForTerminal(out string) string {
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !utf8.ValidString(line) {
			return "is not valid UTF-8"
		}
		for _, r := range line {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				return fmt.Sprintf("carries the raw character %U", r)
			}
		}
	}
	return ""
}

// TestSTSFaultsLeaveNoCredentials completes the STS fault set of
// errors_test.go (AccessDenied, stall, throttling, expired answer, malformed
// XML are there): connection refused, 500 and 503 (retried, bounded),
// ExpiredToken and InvalidClientTokenId on the source credentials. Each in a
// different real shell: one line, nothing exported, the prompt back within
// the bound.
func TestSTSFaultsLeaveNoCredentials(t *testing.T) {
	cases := []struct {
		name    string
		fault   teststs.Fault
		refused bool
		want    []string
		calls   [2]int // bounds on AssumeRole attempts
	}{
		{name: "connection refused", refused: true, want: []string{"AssumeRole failed", "connection refused", "run 'awsrole login' to try again"}},
		{name: "500 InternalFailure", fault: teststs.InternalFailure, want: []string{"AssumeRole failed: InternalFailure"}, calls: [2]int{2, 3}},
		{name: "503 ServiceUnavailable", fault: teststs.ServiceUnavailable, want: []string{"AssumeRole failed: ServiceUnavailable"}, calls: [2]int{2, 3}},
		{name: "ExpiredToken", fault: teststs.ExpiredToken, want: []string{"AssumeRole failed: ExpiredToken", "the source credentials have expired"}, calls: [2]int{1, 1}},
		{name: "InvalidClientTokenId", fault: teststs.InvalidClientTokenId, want: []string{"AssumeRole failed: InvalidClientTokenId", "the source credentials are not valid"}, calls: [2]int{1, 1}},
	}
	for i, c := range cases {
		for _, kind := range shellKinds {
			if i%len(shellKinds) != 0 && kind != shellKinds[i%len(shellKinds)] && kind != "bash" {
				continue // bash for every fault, and each fault in one other shell
			}
			t.Run(c.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				w := newWorld(t)
				// Long enough for the SDK's three attempts and their backoff
				// (at most 2 s + 4 s), so the line names the real failure.
				w.write(".config/awsrole/config.toml", "sts_timeout = \"10s\"\n")
				if c.refused {
					l, err := net.Listen("tcp", "127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					addr := l.Addr().String()
					l.Close()
					for j, kv := range w.env {
						if strings.HasPrefix(kv, "AWS_ENDPOINT_URL_STS=") {
							w.env[j] = "AWS_ENDPOINT_URL_STS=http://" + addr
						}
					}
				} else {
					w.sts.FailAll("AssumeRole", c.fault)
				}
				dir := w.project("infra", deployFile)
				if out, err := w.awsrole(dir, "allow"); err != nil {
					t.Fatalf("allow: %v\n%s", err, out)
				}
				s := w.shell(kind)
				out := timedRun(t, s, "cd infra")
				wantOneLine(t, out, append([]string{"awsrole: " + filepath.Join(dir, ".awsrole.toml")}, c.want...)...)
				gen := w.gen()
				assertNoCredentials(t, s.Env())
				if n := w.sts.Calls("AssumeRole"); !c.refused && (n < c.calls[0] || n > c.calls[1]) {
					t.Errorf("%d AssumeRole attempts, want %d to %d", n, c.calls[0], c.calls[1])
				}
				quietNextPrompt(t, w, s, gen)
			})
		}
	}
}

// walkModes checks that every directory under root is 0700 and every file
// 0600, and returns how many files it saw.
func walkModes(t *testing.T, root string) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch m := fi.Mode(); {
		case m.IsDir() && m.Perm() != 0o700:
			t.Errorf("directory %s has mode %04o, want 0700", p, m.Perm())
		case m.IsRegular():
			files++
			if m.Perm() != 0o600 {
				t.Errorf("file %s has mode %04o, want 0600", p, m.Perm())
			}
		case !m.IsDir():
			t.Errorf("%s is a %v", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestFilesPrivateUnderUmask000: with umask 000 in the shell, everything
// awsrole creates (cache, trust store, state key and generation file) is
// 0700 directories and 0600 files.
func TestFilesPrivateUnderUmask000(t *testing.T) {
	for _, kind := range []string{"bash", "fish"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			dir := w.project("infra", deployFile)
			s := w.shell(kind)
			s.Run("umask 000")
			s.Run("cd " + s.Quote(dir))
			wantOutput(t, s.Run(s.Quote(awsroleBin)+" allow"), "awsrole: assumed "+deployRole)
			assertRole(t, s.Env(), deployRole, "ap-east-1")
			if out := s.Run("touch umask-probe"); out != "" {
				t.Fatal(out)
			}
			if fi, err := os.Stat(filepath.Join(dir, "umask-probe")); err != nil || fi.Mode().Perm() != 0o666 {
				t.Fatalf("umask 000 did not take effect in the shell (%v, %v)", fi.Mode(), err)
			}
			for _, root := range []string{".cache/awsrole", ".local/share/awsrole", ".local/state/awsrole"} {
				if n := walkModes(t, filepath.Join(w.home, root)); n == 0 {
					t.Errorf("%s holds no files; nothing was checked", root)
				}
			}
		})
	}
}

// cacheEntries lists the credential cache entries.
func cacheEntries(t *testing.T, w *world) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(w.home, ".cache/awsrole/*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSpoiledCacheEntryRefetched: a cache entry that is torn (what a writer
// killed mid-write would leave without the atomic rename), incomplete,
// expired, readable by others or a link elsewhere is never exported: the
// next shell fetches anew and exports complete credentials.
func TestSpoiledCacheEntryRefetched(t *testing.T) {
	spoils := map[string]func(t *testing.T, p string){
		"torn": func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			if err := os.WriteFile(p, b[:len(b)/2], 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"key without secret": func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte(`{"AccessKeyId":"ASIAHALFWRITTEN00000","Expiration":"2999-01-01T00:00:00Z"}`), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"expired": func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			b = bytes.Replace(b, []byte(`"Expiration":"`), []byte(`"Expiration":"2001-01-01T00:00:00Z","X":"`), 1)
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"group readable": func(t *testing.T, p string) {
			if err := os.Chmod(p, 0o640); err != nil {
				t.Fatal(err)
			}
		},
		"symlink": func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			other := p + ".elsewhere"
			if err := os.WriteFile(other, b, 0o600); err != nil {
				t.Fatal(err)
			}
			os.Remove(p)
			if err := os.Symlink(other, p); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, spoil := range spoils {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			s, _ := enterActive(t, w)
			first := s.Env()["AWS_ACCESS_KEY_ID"]
			entries := cacheEntries(t, w)
			if len(entries) != 1 || w.sts.Calls("AssumeRole") != 1 {
				t.Fatalf("want one cache entry after one AssumeRole, have %v", entries)
			}
			spoil(t, entries[0])
			other := w.shell("zsh")
			wantOutput(t, timedRun(t, other, "cd infra"), "awsrole: assumed "+deployRole)
			env := other.Env()
			assertRole(t, env, deployRole, "ap-east-1")
			if n := w.sts.Calls("AssumeRole"); n != 2 {
				t.Errorf("%d AssumeRole calls; the spoiled entry must be discarded and fetched anew", n)
			}
			if env["AWS_ACCESS_KEY_ID"] == first || env["AWS_ACCESS_KEY_ID"] == "ASIAHALFWRITTEN00000" {
				t.Errorf("exported the key of the spoiled entry")
			}
		})
	}
}

// mountTmpfs mounts a tmpfs of size bytes at dir (which it creates) until
// the end of the test. It needs root, as make test runs here.
func mountTmpfs(t *testing.T, dir string, size int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput(); err != nil {
		notPossible(t, fmt.Sprintf("cannot mount a tmpfs: %v: %s", err, out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// TestUnusableCacheDegrades: a read-only or full cache file system costs the
// cache and one warning, not the credentials.
func TestUnusableCacheDegrades(t *testing.T) {
	for _, kind := range []string{"read-only", "full"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			cache := filepath.Join(w.home, ".cache")
			mountTmpfs(t, cache, 16<<10)
			if err := os.Mkdir(filepath.Join(cache, "awsrole"), 0o700); err != nil {
				t.Fatal(err)
			}
			switch kind {
			case "read-only":
				if out, err := exec.Command("mount", "-o", "remount,ro", cache).CombinedOutput(); err != nil {
					t.Fatalf("remount ro: %v: %s", err, out)
				}
			case "full":
				// Fill every block; an empty lock file still fits (inodes).
				f, err := os.Create(filepath.Join(cache, "filler"))
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.Write(make([]byte, 64<<10))
				f.Close()
				if err == nil || !strings.Contains(err.Error(), "no space") {
					t.Fatalf("the tmpfs did not fill up: %v", err)
				}
			}
			dir := w.project("infra", deployFile)
			if out, err := w.awsrole(dir, "allow"); err != nil {
				t.Fatalf("allow: %v\n%s", err, out)
			}
			for i, sh := range []string{"bash", "fish"} {
				s := w.shell(sh)
				out := timedRun(t, s, "cd infra")
				wantOutput(t, out, "awsrole: warning: ")
				wantOutput(t, out, "continuing without the cache")
				wantOutput(t, out, "awsrole: assumed "+deployRole)
				assertRole(t, s.Env(), deployRole, "ap-east-1")
				if n := w.sts.Calls("AssumeRole"); n != i+1 {
					t.Errorf("%d AssumeRole calls after %d shells; without a cache each fetches", n, i+1)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(cache, "awsrole", "*.json")); len(left) > 0 {
				t.Errorf("entries were written to an unusable cache: %v", left)
			}
		})
	}
}
