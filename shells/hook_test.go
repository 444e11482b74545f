package shells

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/internal/testenv"
)

const testRole = "arn:aws:iam::123456789012:role/deploy"

// hookCall is how each hook runs the binary when nothing is amiss: bash asks
// for a quick answer first (see hook.bash).
func hookCall(sh Shell) string {
	if sh == Bash {
		return "export --prompt --quick bash"
	}
	return "export --prompt " + sh.Name()
}

func TestHookScriptsLint(t *testing.T) {
	t.Run("bash", func(t *testing.T) {
		shellcheck := testenv.Tool(t, "shellcheck")
		shfmt := testenv.Tool(t, "shfmt")
		run(t, exec.Command(shellcheck, "--enable=all", "hook.bash"))
		run(t, exec.Command(shfmt, "-d", "hook.bash"))
		// The rendered script too: the substituted words must still be sound.
		rendered := renderTo(t, Bash, weirdOptions(t.TempDir()))
		run(t, exec.Command(shellcheck, "--enable=all", rendered))
	})
	t.Run("zsh", func(t *testing.T) {
		// shellcheck has no zsh mode and shfmt 3.6 cannot parse zsh-only
		// syntax such as ${(%):-…}; zsh's own parser checks the file.
		zsh := testenv.Tool(t, "zsh")
		run(t, exec.Command(zsh, "--no-rcs", "-n", "hook.zsh"))
		run(t, exec.Command(zsh, "--no-rcs", "-n", renderTo(t, Zsh, weirdOptions(t.TempDir()))))
	})
	t.Run("fish", func(t *testing.T) {
		fishIndent := testenv.Tool(t, "fish_indent")
		fish := testenv.Tool(t, "fish")
		cmd := exec.Command(fishIndent)
		cmd.Stdin = strings.NewReader(fishHook)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != fishHook {
			t.Errorf("fish_indent changes hook.fish; run: fish_indent -w shells/hook.fish")
		}
		run(t, exec.Command(fish, "--no-config", "-n", renderTo(t, Fish, weirdOptions(t.TempDir()))))
	})
}

func TestHookPlaceholders(t *testing.T) {
	for _, sh := range all {
		script := map[string]string{"bash": bashHook, "zsh": zshHook, "fish": fishHook}[sh.Name()]
		if !regexp.MustCompile(`[ =]` + binPlaceholder + `\n`).MatchString(script) {
			t.Errorf("%s: %s does not stand as a whole word", sh.Name(), binPlaceholder)
		}
		got, err := sh.Hook(HookOptions{Bin: "/bin/awsrole"})
		if err != nil || strings.Contains(got, "@AWSROLE_") {
			t.Errorf("%s: placeholder left in the rendered hook (err %v)", sh.Name(), err)
		}
		for _, o := range []HookOptions{{Bin: ""}, {Bin: "awsrole"}, {Bin: "/a\x00b"}} {
			if _, err := sh.Hook(o); err == nil {
				t.Errorf("%s: Hook(%q) accepted", sh.Name(), o)
			}
		}
	}
}

// TestHookQuietUnderStrictFlags sources each rendered hook the way zoxide's
// tests do: strict flags, no rc files, and nothing may be printed. In bash
// and zsh it also runs interactively, where the hook installs and runs.
func TestHookQuietUnderStrictFlags(t *testing.T) {
	strict := map[string][]string{
		"bash": {"-e", "-u", "-o", "pipefail"},
		"zsh":  {"-e", "-u", "-o", "pipefail"},
	}
	for _, sh := range all {
		t.Run(sh.Name(), func(t *testing.T) {
			tool := testenv.Tool(t, sh.Name())
			dir := t.TempDir()
			hook := mustHook(t, sh, weirdOptions(dir))
			cmd := shellCommand(tool, sh, false, hook, strict[sh.Name()]...)
			cmd.Env = baseEnv(t, dir)
			if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
				t.Fatalf("non-interactive: %v, output %q", err, out)
			}
			if sh.Name() == "fish" {
				return // no strict mode; the behaviour test covers interactive fish
			}
			f := newFakeBin(t, sh)
			out := filepath.Join(dir, "out")
			script := `source "$AWSROLE_TEST_HOOK" >` + out + ` 2>&1; _awsrole_hook >>` + out + ` 2>&1; printf '%s' "$_awsrole_bin" >` + filepath.Join(dir, "bin")
			cmd = shellCommand(tool, sh, true, script, strict[sh.Name()]...)
			cmd.Env = f.env
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("interactive: %v, output %q", err, b)
			}
			if b, _ := os.ReadFile(out); len(b) > 0 {
				t.Errorf("interactive: the hook printed %q", b)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "bin")); string(b) != f.bin {
				t.Errorf("_awsrole_bin = %q, want %q", b, f.bin)
			}
			if got := f.log(t); got != hookCall(sh)+"\n" {
				t.Errorf("binary log %q", got)
			}
		})
	}
}

// weirdDir has spaces, quotes, $, backticks and a newline in its name.
func weirdDir(dir string) string { return filepath.Join(dir, "it's a \"dir\" $HOME `x` \\ %s\n!") }

// weirdOptions puts the binary in weirdDir.
func weirdOptions(dir string) HookOptions {
	return HookOptions{Bin: filepath.Join(weirdDir(dir), "awsrole")}
}

func mustHook(t *testing.T, sh Shell, o HookOptions) string {
	t.Helper()
	s, err := sh.Hook(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func renderTo(t *testing.T, sh Shell, o HookOptions) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook."+sh.Name())
	if err := os.WriteFile(p, []byte(mustHook(t, sh, o)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}

// fakeBin is a stand-in awsrole at a path with spaces and quotes: it logs
// each run, creates the generation marker (gen, as the engine's ReadGen
// does, with the epoch as its mtime) and prints what the engine would: a
// role, _awsrole_mark=gen, _awsrole_recheck=9999999999 (none).
type fakeBin struct {
	dir, bin, logFile, gen string
	env                    []string
}

// fakeAnswer ends a fake binary's script: it does what the engine would,
// creating the generation marker as ReadGen does and printing the code.
const fakeAnswer = "[ -e \"$AWSROLE_TEST_GEN\" ] || touch -d @0 \"$AWSROLE_TEST_GEN\"\nexec cat \"$AWSROLE_TEST_OUT\"\n"

func newFakeBin(t *testing.T, sh Shell) *fakeBin {
	t.Helper()
	dir := t.TempDir()
	o := weirdOptions(dir)
	f := &fakeBin{dir: dir, bin: o.Bin, gen: filepath.Join(weirdDir(dir), "gen"), logFile: filepath.Join(dir, "log")}
	if err := os.MkdirAll(filepath.Dir(o.Bin), 0o700); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >>\"$AWSROLE_TEST_LOG\"\n" +
		fakeAnswer
	if err := os.WriteFile(o.Bin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	code, err := sh.Export(map[string]*string{"_awsrole_recheck": ptr(hook.NoRecheck), "_awsrole_mark": ptr(f.gen), "AWSROLE_ROLE": ptr(testRole)})
	if err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(dir, "code")
	if err := os.WriteFile(outFile, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	hook := f.hookFile()
	if err := os.WriteFile(hook, []byte(mustHook(t, sh, o)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"d1", "d2"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	f.env = append(baseEnv(t, dir),
		"AWSROLE_TEST_LOG="+f.logFile, "AWSROLE_TEST_OUT="+outFile, "AWSROLE_TEST_HOOK="+hook,
		"AWSROLE_TEST_GEN="+f.gen, "AWSROLE_TEST_HOOKOUT="+filepath.Join(dir, "hookout"),
		"AWSROLE_TEST_D1="+filepath.Join(dir, "d1"), "AWSROLE_TEST_D2="+filepath.Join(dir, "d2"))
	return f
}

func (f *fakeBin) hookFile() string { return filepath.Join(f.dir, "hook") }

func (f *fakeBin) log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(f.logFile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func (f *fakeBin) hookOutput(t *testing.T) string {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(f.dir, "hookout"))
	return string(b)
}

// The same steps in each shell's syntax: the fast path must skip the binary
// unless the directory, the generation marker or the clock says otherwise.
var behaviourScripts = map[string]string{
	"bash": `log() { printf '%s\n' "$*" >>"$AWSROLE_TEST_LOG"; }
ret() { return "$1"; }
h() { _awsrole_hook >>"$AWSROLE_TEST_HOOKOUT" 2>&1; }
user_pc() { :; }
PROMPT_COMMAND=user_pc
source "$AWSROLE_TEST_HOOK"; source "$AWSROLE_TEST_HOOK"
log "=installed ${PROMPT_COMMAND[*]}"
` + commonSteps + `
_awsrole_recheck=1; h; log "=past recheck"
_awsrole_recheck=99999999999; h; log "=future recheck"
_awsrole_recheck=9999999999
` + lastSteps,
	"zsh": `log() { printf '%s\n' "$*" >>"$AWSROLE_TEST_LOG"; }
ret() { return "$1"; }
h() { _awsrole_hook >>"$AWSROLE_TEST_HOOKOUT" 2>&1; }
user_pc() { :; }
precmd_functions=(user_pc)
source "$AWSROLE_TEST_HOOK"; source "$AWSROLE_TEST_HOOK"
log "=installed ${precmd_functions[*]}"
` + commonSteps + `
_awsrole_recheck=1; h; log "=past recheck"
_awsrole_recheck=99999999999; h; log "=future recheck"
_awsrole_recheck=9999999999
` + lastSteps,
	"fish": `function log; printf '%s\n' "$argv" >>$AWSROLE_TEST_LOG; end
function ret; return $argv[1]; end
function h; emit fish_prompt >>$AWSROLE_TEST_HOOKOUT 2>&1; end
function user_pc --on-event fish_prompt; end
source $AWSROLE_TEST_HOOK; source $AWSROLE_TEST_HOOK
log "=installed" (functions --handlers-type generic | string match -e _awsrole_hook)
` + commonSteps + `
set -g _awsrole_recheck 1; h; log "=past recheck"
set -g _awsrole_recheck 99999999999; h; log "=future recheck"
touch $AWSROLE_TEST_GEN; h; log "=touched marker"
set -g _awsrole_recheck 9999999999
` + strings.NewReplacer(`$?`, `$status`, `${AWSROLE_ROLE-}`, `$AWSROLE_ROLE`).Replace(lastSteps),
}

const commonSteps = `cd "$AWSROLE_TEST_D1"; h; log "=first call"
h; log "=same directory and generation"
cd "$AWSROLE_TEST_D2"; h; log "=changed directory"
rm "$AWSROLE_TEST_GEN"; h; log "=bumped generation"
h; log "=unchanged again"`

// The user's exit status is kept by the shells themselves around a prompt
// hook: TestHookRunsAtPromptBeforeUserHooks and TestHookFishPrompt check it.
const lastSteps = `rm "$AWSROLE_TEST_GEN"; h; log "=marker removed again"
cd "$AWSROLE_TEST_D1"; h; log "=role ${AWSROLE_ROLE-}"`

func TestHookBehaviour(t *testing.T) {
	for _, sh := range all {
		t.Run(sh.Name(), func(t *testing.T) { testHookBehaviour(t, sh, false) })
	}
	t.Run("bash before 5.1", func(t *testing.T) { testHookBehaviour(t, Bash, true) })
}

// legacyStatusSteps: bash before 5.1 shares one PROMPT_COMMAND string with
// the user's hooks, so there the hook itself keeps the status.
const legacyStatusSteps = `
ret 3; _awsrole_hook; log "=status $? on the fast path"
cd "$AWSROLE_TEST_D2"; ret 4; _awsrole_hook; log "=status $? on the slow path"`

func testHookBehaviour(t *testing.T, sh Shell, legacy bool) {
	tool := testenv.Tool(t, sh.Name())
	f := newFakeBin(t, sh)
	script := behaviourScripts[sh.Name()]
	installed := map[string]string{
		"bash": "=installed _awsrole_hook user_pc",
		"zsh":  "=installed _awsrole_hook user_pc",
		"fish": "=installed fish_prompt _awsrole_hook",
	}[sh.Name()]
	if legacy {
		asBashBefore51(t, f.hookFile())
		script += legacyStatusSteps
		installed = "=installed _awsrole_hook\nuser_pc" // one string, a newline between
	}
	cmd := shellCommand(tool, sh, true, script)
	cmd.Env = f.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	run := hookCall(sh)
	steps := []string{
		installed,
		run, "=first call",
		"=same directory and generation",
		run, "=changed directory",
		run, "=bumped generation",
		"=unchanged again",
		run, "=past recheck",
		"=future recheck",
	}
	if sh.Name() == "fish" {
		// Its clock is the marker's age: a touched marker cannot be
		// trusted as one.
		steps = append(steps, run, "=touched marker")
	}
	steps = append(steps,
		run, "=marker removed again",
		run, "=role "+testRole,
	)
	if legacy {
		steps = append(steps, "=status 3 on the fast path", run, "=status 4 on the slow path")
	}
	want := strings.Join(steps, "\n") + "\n"
	if got := f.log(t); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
	if out := f.hookOutput(t); out != "" {
		t.Errorf("the hook printed %q", out)
	}
}

// asBashBefore51 rewrites the bash hook at path as bash 5.0 and older run
// it: the version test that chooses the array PROMPT_COMMAND, and with it
// the hook that leaves $? to bash, fails.
func asBashBefore51(t *testing.T, path string) {
	t.Helper()
	const since51 = "((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1)))"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), since51); n != 1 {
		t.Fatalf("the bash hook tests for 5.1 %d times, want once", n)
	}
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(b), since51, "false")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestHookRunsAtPromptBeforeUserHooks drives a real interactive bash and zsh
// (commands on stdin still get a prompt, PROMPT_COMMAND and precmd): the
// user's own prompt hook, installed first, must already see the role and the
// exit status of the user's command.
func TestHookRunsAtPromptBeforeUserHooks(t *testing.T) {
	for _, c := range []struct {
		name   string
		sh     Shell
		legacy bool
	}{{"bash", Bash, false}, {"zsh", Zsh, false}, {"bash before 5.1", Bash, true}} {
		sh := c.sh
		t.Run(c.name, func(t *testing.T) {
			tool := testenv.Tool(t, sh.Name())
			f := newFakeBin(t, sh)
			if c.legacy {
				asBashBefore51(t, f.hookFile())
			}
			install := map[string]string{"bash": "PROMPT_COMMAND=user_pc", "zsh": "precmd_functions=(user_pc)"}[sh.Name()]
			stdin := `log() { printf '%s\n' "$*" >>"$AWSROLE_TEST_LOG"; }; ret() { return "$1"; }
user_pc() { log "user hook sees status $? role ${AWSROLE_ROLE-none}"; }; ` + install + `
source "$AWSROLE_TEST_HOOK"; source "$AWSROLE_TEST_HOOK"; cd "$AWSROLE_TEST_D1"
ret 5
exit 0
`
			args := map[string][]string{"bash": {"--noprofile", "--norc", "-i"}, "zsh": {"--no-globalrcs", "--no-rcs", "-i"}}[sh.Name()]
			cmd := exec.Command(tool, args...)
			cmd.Env = f.env
			cmd.Stdin = strings.NewReader(stdin)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			want := "user hook sees status 0 role none\n" +
				hookCall(sh) + "\n" +
				"user hook sees status 0 role " + testRole + "\n" +
				"user hook sees status 5 role " + testRole + "\n"
			if got := f.log(t); got != want {
				t.Errorf("log:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestBashWaitsWithCtrlCKeptFromTheShell: when the quick run says it would
// have to wait (status 3: STS, perhaps an MFA code), the bash hook runs the
// binary again with SIGINT ignored by the shell, then puts the user's own
// SIGINT trap back and applies the answer.
func TestBashWaitsWithCtrlCKeptFromTheShell(t *testing.T) {
	tool := testenv.Tool(t, "bash")
	f := newFakeBin(t, Bash)
	fake := "#!/bin/sh\nprintf '%s ' \"$*\" >>\"$AWSROLE_TEST_LOG\"\n" +
		"if [ \"$3\" = --quick ]; then echo >>\"$AWSROLE_TEST_LOG\"; exit 3; fi\n" +
		"grep SigIgn /proc/$$/status >>\"$AWSROLE_TEST_LOG\"\n" +
		fakeAnswer
	if err := os.WriteFile(f.bin, []byte(fake), 0o700); err != nil {
		t.Fatal(err)
	}
	script := `log() { printf '%s\n' "$*" >>"$AWSROLE_TEST_LOG"; }
source "$AWSROLE_TEST_HOOK"
trap 'echo user trap' SIGINT
cd "$AWSROLE_TEST_D1"; _awsrole_hook
log "=after: $(trap -p SIGINT) role ${AWSROLE_ROLE-}"
_awsrole_hook; log "=then the fast path"`
	cmd := shellCommand(tool, Bash, true, script)
	cmd.Env = f.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(f.log(t), "\n")
	if len(lines) != 5 || lines[0] != "export --prompt --quick bash " || !strings.HasPrefix(lines[1], "export --prompt bash SigIgn:") ||
		lines[2] != "=after: trap -- 'echo user trap' SIGINT role "+testRole || lines[3] != "=then the fast path" {
		t.Fatalf("log:\n%s", f.log(t))
	}
	var ign uint64
	if _, err := fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(lines[1], "export --prompt bash SigIgn:")), "%x", &ign); err != nil {
		t.Fatal(err)
	}
	if ign&(1<<(2-1)) == 0 {
		t.Errorf("SIGINT was not ignored while the binary could wait: %s", lines[1])
	}
}

// TestHookFastPathStartsNoProcess traces process creation while the hook
// takes its fast path ten times, including the clock comparison.
func TestHookFastPathStartsNoProcess(t *testing.T) {
	strace := testenv.Tool(t, "strace")
	setup := map[string]string{
		"bash": `source "$AWSROLE_TEST_HOOK"; _awsrole_hook
_awsrole_recheck=99999999999
: <"$AWSROLE_TEST_D1/begin"
for i in 1 2 3 4 5 6 7 8 9 10; do _awsrole_hook; done
: <"$AWSROLE_TEST_D1/end"`,
		"fish": `source $AWSROLE_TEST_HOOK; _awsrole_hook
set -g _awsrole_recheck 99999999999
true <$AWSROLE_TEST_D1/begin
for i in 1 2 3 4 5 6 7 8 9 10; _awsrole_hook; end
true <$AWSROLE_TEST_D1/end`,
	}
	setup["zsh"] = setup["bash"]
	for _, sh := range all {
		t.Run(sh.Name(), func(t *testing.T) {
			tool := testenv.Tool(t, sh.Name())
			f := newFakeBin(t, sh)
			for _, m := range []string{"begin", "end"} {
				if err := os.WriteFile(filepath.Join(f.dir, "d1", m), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			trace := filepath.Join(f.dir, "trace")
			shell := shellCommand(tool, sh, true, setup[sh.Name()])
			cmd := exec.Command(strace, append([]string{"-f", "-qq", "-e", "trace=process,openat,%%stat,access,faccessat,faccessat2", "-o", trace}, shell.Args...)...)
			cmd.Env = f.env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			b, err := os.ReadFile(trace)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(b), "\n")
			begin, end := -1, -1
			for i, l := range lines {
				if strings.Contains(l, "/d1/begin") && begin < 0 {
					begin = i
				}
				if strings.Contains(l, "/d1/end") {
					end = i
				}
			}
			if begin < 0 || end < begin {
				t.Fatalf("markers not found in the trace:\n%s", clip(string(b)))
			}
			stats := 0
			spawn := regexp.MustCompile(`\b(clone3?|v?fork|execve)\(`)
			for _, l := range lines[begin:end] {
				if spawn.MatchString(l) {
					t.Errorf("fast path started a process: %s", l)
				}
				if strings.Contains(l, "/gen\"") {
					stats++
				}
			}
			if stats != 10 {
				t.Errorf("generation marker looked at %d times between the markers, want 10, one stat a prompt (did the hook run?)", stats)
			}
			if got := f.log(t); got != hookCall(sh)+"\n" {
				t.Errorf("binary log %q, want one run", got)
			}
		})
	}
}

// The fish hook and bash before 5.1 test for "no recheck time" by its value,
// written out in the script: it must be the engine's.
func TestHooksSpellNoRecheckAsTheEngine(t *testing.T) {
	for name, tc := range map[string]struct {
		script string
		test   *regexp.Regexp
	}{
		"fish": {fishHook, regexp.MustCompile(`test "\$_awsrole_recheck" = (\d+)`)},
		"bash": {bashHook, regexp.MustCompile(`\$\{_awsrole_recheck\} == (\d+)`)},
	} {
		m := tc.test.FindAllStringSubmatch(tc.script, -1)
		if len(m) == 0 {
			t.Errorf("%s: the hook no longer tests for no recheck time as %s; update this test", name, tc.test)
		}
		for _, sm := range m {
			if sm[1] != hook.NoRecheck {
				t.Errorf("%s: the hook tests for no recheck time as %s, the engine writes %s", name, sm[1], hook.NoRecheck)
			}
		}
	}
}
