package shells

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/awsrole/awsrole/internal/testenv"
)

// The hook's own path is the other thing a shell evaluates: Hook() quotes
// the binary's path into the script. (The generation marker's path reaches
// the shell through Export, which FuzzExport* cover.) These targets fuzz a
// directory name, put the binary in a directory of that name (so the path
// holds any bytes a file name can), render the hook, source it in the real
// interactive shell from inside that same directory, and run the hook once.
// The oracle is the shell: _awsrole_bin must read back byte-identical, the
// stand-in binary must have been run (by that exact path) with exactly its
// hookCall arguments, from that working directory, and nothing may be
// printed. Paths a shell cannot hold (NUL) and
// relative paths are refused by Hook with an error.

func FuzzHookPathsBash(f *testing.F) { fuzzHookPaths(f, Bash) }
func FuzzHookPathsZsh(f *testing.F)  { fuzzHookPaths(f, Zsh) }
func FuzzHookPathsFish(f *testing.F) { fuzzHookPaths(f, Fish) }

// pathSeeds are directory names that have broken hook scripts elsewhere.
var pathSeeds = []string{
	"plain", "with space", "it's", `"dq"`, `back\slash`, `trailing\`, "$HOME", "${HOME}", "$(touch pwned)",
	"`touch pwned`", "a;touch pwned", "%s %(%s)T %%", "!!", "~", "*", "?", "[a]", "{a,b}", "-e", "--",
	"new\nline", "cr\rx", "\t", "\x1b]0;title\x07", "\xff\xfe", "\xc3", "é 日本", "\xef\x98\x83",
	"fish (touch pwned) $status", "a\x00b", strings.Repeat("x'\\$`\"\n", 36),
}

var noJobControl = regexp.MustCompile(`(?m)^bash: (cannot set terminal process group \(-?\d+\): Inappropriate ioctl for device|no job control in this shell)\n`)

func fuzzHookPaths(f *testing.F, sh Shell) {
	tool := testenv.Tool(f, sh.Name())
	for _, s := range pathSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		// A file name is 1 to 255 bytes without '/'; "." and ".." are not
		// names. Fold the input into one, keeping NUL to test the refusal.
		name = strings.ReplaceAll(name, "/", "_")
		if len(name) > 200 {
			name = name[:200]
		}
		if name == "" || name == "." || name == ".." {
			name = "d" + name
		}
		root := t.TempDir()
		dir := filepath.Join(root, name)
		o := HookOptions{Bin: filepath.Join(dir, "awsrole")}
		script, err := sh.Hook(o)
		if strings.IndexByte(name, 0) >= 0 {
			if err == nil {
				t.Fatalf("a path with NUL was accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sh.Hook(HookOptions{Bin: name + "/awsrole"}); err == nil && !filepath.IsAbs(name) {
			t.Errorf("a relative binary path was accepted")
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		logFile := filepath.Join(root, "log")
		fake := "#!/bin/sh\nprintf '%s|' \"$0\" \"$@\" >\"$AWSROLE_TEST_LOG\"\npwd -P >>\"$AWSROLE_TEST_LOG\"\n"
		if err := os.WriteFile(o.Bin, []byte(fake), 0o700); err != nil {
			t.Fatal(err)
		}
		hookFile := filepath.Join(root, "hook")
		if err := os.WriteFile(hookFile, []byte(script), 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(root, "out")
		var prog string
		switch sh.Name() {
		case "fish":
			prog = `cd $AWSROLE_TEST_DIR; source $AWSROLE_TEST_HOOK; emit fish_prompt
printf '%s' $_awsrole_bin >$AWSROLE_TEST_OUT.bin`
		default:
			prog = `cd -- "$AWSROLE_TEST_DIR" && source "$AWSROLE_TEST_HOOK" && _awsrole_hook
printf '%s' "$_awsrole_bin" >"$AWSROLE_TEST_OUT.bin"`
		}
		cmd := shellCommand(tool, sh, true, prog)
		cmd.Env = append(baseEnv(t, root), "LC_ALL=C.UTF-8", "AWSROLE_TEST_DIR="+dir, "AWSROLE_TEST_HOOK="+hookFile,
			"AWSROLE_TEST_OUT="+out, "AWSROLE_TEST_LOG="+logFile)
		b, err := cmd.CombinedOutput()
		b = noJobControl.ReplaceAll(b, nil) // bash -i without a terminal says so
		if err != nil || len(b) > 0 {
			t.Fatalf("%s: %v, printed %q", sh.Name(), err, clip(string(b)))
		}
		for suffix, want := range map[string]string{".bin": o.Bin} {
			got, err := os.ReadFile(out + suffix)
			if err != nil || string(got) != want {
				t.Errorf("%s: the hook's path %s came back %q, want %q (%v)", sh.Name(), suffix, clip(string(got)), clip(want), err)
			}
		}
		logged, err := os.ReadFile(logFile)
		if want := o.Bin + "|" + strings.ReplaceAll(hookCall(sh), " ", "|") + "|" + dir + "\n"; err != nil || string(logged) != want {
			t.Errorf("%s: the binary ran as %q, want %q (%v)", sh.Name(), clip(string(logged)), clip(want), err)
		}
		for _, d := range []string{root, dir} {
			if _, err := os.Lstat(filepath.Join(d, "pwned")); err == nil {
				t.Errorf("%s: a path ran a command (%s/pwned exists)", sh.Name(), d)
			}
		}
	})
}
