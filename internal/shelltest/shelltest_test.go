package shelltest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var shells = []string{"bash", "zsh", "fish"}

// eachShell runs f in parallel subtests, one per shell.
func eachShell(t *testing.T, f func(t *testing.T, sh string)) {
	t.Helper()
	for _, sh := range shells {
		t.Run(sh, func(t *testing.T) {
			t.Parallel()
			f(t, sh)
		})
	}
}

// baseEnv is a small, explicit environment, as the callers will pass.
func baseEnv(t *testing.T) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"CALLER_VAR=kept",
	}
}

func exportCmd(sh, name, value string, s *Session) string {
	if sh == "fish" {
		return "set -gx " + name + " " + s.Quote(value)
	}
	return "export " + name + "=" + s.Quote(value)
}

func unsetCmd(sh, name string) string {
	if sh == "fish" {
		return "set -e " + name
	}
	return "unset " + name
}

func TestEnvByteExact(t *testing.T) {
	eachShell(t, func(t *testing.T, sh string) {
		s := Start(t, Options{Shell: sh, Env: baseEnv(t)})
		values := map[string]string{
			"X":     "a b",
			"ODD":   "line1\nline2\ttab 'single' \"double\" $HOME `x` \\ é ü 日本 ⟪⟫",
			"EMPTY": "",
			"TRAIL": "ends with newline\n",
		}
		// The simple case typed as a user would, not through Quote.
		if sh == "fish" {
			s.Run("set -gx X 'a b'")
		} else {
			s.Run("export X='a b'")
		}
		for _, name := range []string{"ODD", "EMPTY", "TRAIL"} {
			if out := s.Run(exportCmd(sh, name, values[name], s)); out != "" {
				t.Errorf("export %s printed %q", name, out)
			}
		}
		env := s.Env()
		for name, want := range values {
			if got, ok := env[name]; !ok || got != want {
				t.Errorf("Env()[%s] = %q, %v; want %q", name, got, ok, want)
			}
		}
		if env["CALLER_VAR"] != "kept" {
			t.Errorf("CALLER_VAR = %q, want kept", env["CALLER_VAR"])
		}
		// The variables the driver redirected for start-up are put back.
		for _, name := range []string{"ZDOTDIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "_"} {
			if v, ok := env[name]; ok {
				t.Errorf("Env() has %s=%q; the caller did not set it", name, v)
			}
		}

		s.Run(unsetCmd(sh, "X"))
		s.Run(unsetCmd(sh, "ODD"))
		env = s.Env()
		for _, name := range []string{"X", "ODD"} {
			if v, ok := env[name]; ok {
				t.Errorf("after unset, Env()[%s] = %q", name, v)
			}
		}
		if env["TRAIL"] != values["TRAIL"] {
			t.Errorf("TRAIL = %q after unsetting others", env["TRAIL"])
		}
	})
}

func TestCallerStartupVarsKept(t *testing.T) {
	eachShell(t, func(t *testing.T, sh string) {
		env := append(baseEnv(t), "ZDOTDIR=/nonexistent/zdot", "XDG_CONFIG_HOME=/nonexistent/cfg", "XDG_DATA_HOME=/nonexistent/data")
		s := Start(t, Options{Shell: sh, Env: env})
		got := s.Env()
		for _, kv := range env[3:] {
			k, v, _ := strings.Cut(kv, "=")
			if got[k] != v {
				t.Errorf("Env()[%s] = %q, want %q", k, got[k], v)
			}
		}
	})
}

func TestRunOutput(t *testing.T) {
	eachShell(t, func(t *testing.T, sh string) {
		s := Start(t, Options{Shell: sh, Env: baseEnv(t)})
		if got := s.Run("echo hello"); got != "hello\n" {
			t.Errorf("Run(echo hello) = %q", got)
		}
		if got := s.Run("true"); got != "" {
			t.Errorf("Run(true) = %q", got)
		}
		if got := s.Run(""); got != "" {
			t.Errorf("Run(\"\") = %q", got)
		}
		// No final newline: no prompt-side decoration may stick to it.
		if got := s.Run("printf abc"); got != "abc" {
			t.Errorf("Run(printf abc) = %q", got)
		}
		if got := s.Run("echo one; echo two >&2; echo three"); got != "one\ntwo\nthree\n" {
			t.Errorf("Run(stdout and stderr) = %q", got)
		}
		if got := s.Run("echo " + s.Quote("日本 é")); got != "日本 é\n" {
			t.Errorf("Run(non-ASCII) = %q", got)
		}
		// A line that mentions the marker must not be taken for a prompt.
		if got := s.Run("echo shelltest 99"); got != "shelltest 99\n" {
			t.Errorf("Run(echo shelltest 99) = %q", got)
		}
	})
}

// hookRC installs a hook the way the code under test will: PROMPT_COMMAND,
// precmd or a fish_prompt event handler, printing on stderr.
var hookRC = map[string]string{
	"bash": `__hook_n=0; PROMPT_COMMAND='echo "hook $((++__hook_n)) $PS1" >&2'`,
	"zsh":  `__hook_n=0; precmd() { echo "hook $((++__hook_n)) $PROMPT" >&2; }`,
	"fish": `set -g __hook_n 0
function __hook --on-event fish_prompt
    set -g __hook_n (math $__hook_n + 1)
    echo "hook $__hook_n" (functions -q fish_prompt; and echo prompt-defined) >&2
end`,
}

func TestHookOutput(t *testing.T) {
	eachShell(t, func(t *testing.T, sh string) {
		s := Start(t, Options{Shell: sh, Env: baseEnv(t), RC: hookRC[sh]})
		start := s.StartupOutput()
		if !strings.Contains(start, "hook 1 ") {
			t.Errorf("startup output %q lacks the first hook run", start)
		}
		// The rc file defines the prompt before RC runs.
		if !strings.Contains(start, "shelltest") && !strings.Contains(start, "prompt-defined") {
			t.Errorf("the hook did not see the driver's prompt: %q", start)
		}
		got := s.Run("echo x")
		if !strings.HasPrefix(got, "x\nhook 2 ") || strings.Count(got, "hook") != 1 {
			t.Errorf("Run(echo x) = %q; want x then exactly one hook run", got)
		}
		got = s.Run("printf y")
		if !strings.HasPrefix(got, "yhook 3 ") && !strings.HasPrefix(got, "y\nhook 3 ") {
			t.Errorf("Run(printf y) = %q", got)
		}
	})
}

func TestCdOddDirectory(t *testing.T) {
	eachShell(t, func(t *testing.T, sh string) {
		root, err := filepath.EvalSymlinks(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, `dir with spaces 'single' "double" é 日本 $x`)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		s := Start(t, Options{Shell: sh, Env: baseEnv(t), Dir: root})
		if out := s.Run("cd " + s.Quote(dir)); out != "" {
			t.Errorf("cd printed %q", out)
		}
		if got := s.Run("pwd"); got != dir+"\n" {
			t.Errorf("pwd = %q, want %q", got, dir)
		}
		if got := s.Env()["PWD"]; got != dir {
			t.Errorf("Env()[PWD] = %q, want %q", got, dir)
		}
	})
}

func TestInterrupt(t *testing.T) {
	eachShell(t, func(t *testing.T, sh string) {
		s := Start(t, Options{Shell: sh, Env: baseEnv(t)})
		// sta""rted: the echo of the typed line must not satisfy Expect.
		s.Send(`echo sta""rted; sleep 30` + "\r")
		s.Expect("started\n")
		time.Sleep(100 * time.Millisecond) // let sleep start
		begin := time.Now()
		s.Send("\x03")
		s.WaitPrompt()
		if d := time.Since(begin); d > 10*time.Second {
			t.Errorf("prompt came back after %v", d)
		}
		if got := s.Run("echo after"); got != "after\n" {
			t.Errorf("Run after Ctrl-C = %q", got)
		}
		// Ctrl-C at an idle prompt: a new prompt in bash and zsh; fish
		// only clears the command line.
		if sh != "fish" {
			s.Send("\x03")
			s.WaitPrompt()
			if got := s.Run("echo again"); got != "again\n" {
				t.Errorf("Run after Ctrl-C at the prompt = %q", got)
			}
		}
	})
}

func TestReadPrompt(t *testing.T) {
	// "Co""de: " so that the echoed command does not contain "Code: ".
	reads := map[string]string{
		"bash": `read -p "Co""de: " x; echo "got $x"`,
		"zsh":  `read "x?Co""de: "; echo "got $x"`,
		"fish": `read -P "Co""de: " x; echo "got $x"`,
	}
	eachShell(t, func(t *testing.T, sh string) {
		s := Start(t, Options{Shell: sh, Env: baseEnv(t)})
		s.Send(reads[sh] + "\r")
		s.Expect("Code: ")
		s.Send("123456\r")
		if got := s.WaitPrompt(); !strings.Contains(got, "got 123456\n") {
			t.Errorf("after answering read: %q", got)
		}
		if got := s.Run("echo next"); got != "next\n" {
			t.Errorf("Run after read = %q", got)
		}
	})
}

func TestParallelSessions(t *testing.T) {
	eachShell(t, func(t *testing.T, sh string) {
		for i := range 2 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				s := Start(t, Options{Shell: sh, Env: baseEnv(t)})
				v := "session " + strconv.Itoa(i)
				s.Run(exportCmd(sh, "WHO", v, s))
				for range 3 {
					if got := s.Run("echo $WHO"); got != v+"\n" {
						t.Errorf("echo $WHO = %q, want %q", got, v)
					}
				}
				if got := s.Env()["WHO"]; got != v {
					t.Errorf("WHO = %q, want %q", got, v)
				}
			})
		}
	})
}

// TestCloseBusyShell closes a shell that is running a foreground command that
// ignores the typed exit: Close must still end it, bounded, and the driver's
// goroutines must be gone.
func TestCloseBusyShell(t *testing.T) {
	eachShell(t, func(t *testing.T, sh string) {
		pidFile := filepath.Join(t.TempDir(), "pid")
		s := Start(t, Options{Shell: sh, Env: baseEnv(t)})
		s.Send("sh -c 'echo $$ > " + pidFile + "; exec sleep 60'\r")
		var pid int
		for deadline := time.Now().Add(10 * time.Second); pid == 0 && time.Now().Before(deadline); {
			b, _ := os.ReadFile(pidFile)
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			time.Sleep(20 * time.Millisecond)
		}
		if pid == 0 {
			t.Fatal("the command did not start")
		}
		begin := time.Now()
		s.Close()
		s.Close() // idempotent
		if d := time.Since(begin); d > 15*time.Second {
			t.Errorf("Close took %v", d)
		}
		for _, c := range []chan struct{}{s.exited, s.readDone} {
			select {
			case <-c:
			default:
				t.Error("a driver goroutine is still running after Close")
			}
		}
		// The foreground job got the hangup too (a zombie left to an
		// init that does not reap counts as gone).
		deadline := time.Now().Add(5 * time.Second)
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(pid) {
			t.Errorf("sleep (pid %d) survived Close", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) S ...: the state follows the last ')'.
	st := string(b[strings.LastIndexByte(string(b), ')')+2:])
	return !strings.HasPrefix(st, "Z")
}

// fakeTB records a fatal failure instead of failing the real test.
type fakeTB struct {
	testing.TB
	msg string
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestTimeoutReportsOutput(t *testing.T) {
	eachShell(t, func(t *testing.T, sh string) {
		fake := &fakeTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			s := Start(fake, Options{Shell: sh, Env: baseEnv(t), Timeout: time.Second})
			s.Run("echo before-the-hang; sleep 5")
		}()
		<-done
		if !strings.Contains(fake.msg, "timed out after 1s") || !strings.Contains(fake.msg, "before-the-hang") {
			t.Errorf("failure message lacks the timeout or the output:\n%s", fake.msg)
		}
	})
}

func TestClean(t *testing.T) {
	raw := "a\x1b[31mb\x1b]0;title\x07c\x1b(Bd\x1b=e\r\n\x1b[2m⏎\x1b(B\x1b[m    \r⏎ \r\x1b[Kf\x1b["
	text, ends := clean([]byte(raw))
	if string(text) != "abcde\nf" {
		t.Errorf("clean = %q", text)
	}
	if ends[len(ends)-1] != len(raw)-2 {
		t.Errorf("last end = %d, want %d (before the cut-off escape)", ends[len(ends)-1], len(raw)-2)
	}
}

// BenchmarkSession measures a typical Start, Run, Env, Close.
func BenchmarkSession(b *testing.B) {
	for _, sh := range shells {
		b.Run(sh, func(b *testing.B) {
			for range b.N {
				s := Start(b, Options{Shell: sh, Env: []string{"PATH=" + os.Getenv("PATH")}})
				s.Run("echo hi")
				s.Env()
				s.Close()
			}
		})
	}
}
