// Package shelltest drives a real interactive bash, zsh or fish under a
// pseudo-terminal, the way a user at a terminal would: it types a line, waits
// for the next prompt and returns what the shell printed in between.
//
// The driver recognises a prompt by a marker it puts into the prompt itself
// (PS1, PROMPT or fish_prompt), "(shelltest N)> " with N counting up. It never
// uses PROMPT_COMMAND, precmd or fish_prompt event handlers, so the code under
// test can install its own hook exactly as it would in a user's rc file.
package shelltest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/awsrole/awsrole/internal/testenv"
)

// Options describe the shell to start.
type Options struct {
	Shell string   // "bash", "zsh" or "fish" (or an absolute path to one)
	Env   []string // the shell's whole environment, KEY=VALUE; see Start for what is added
	Dir   string   // starting directory; empty means the test's current directory
	RC    string   // shell code run at the end of the rc file, after the prompt is set
	// Timeout bounds every wait (first prompt, each Run, Expect, ...).
	// Zero means 20s.
	Timeout time.Duration
}

// Session is one running interactive shell. Its methods must be called from
// the test's goroutine.
type Session struct {
	t       testing.TB
	kind    string // bash, zsh or fish
	timeout time.Duration
	dir     string // driver's own temp dir (rc files, env dumps)
	envTool string // absolute path of env(1)
	cmd     *exec.Cmd
	pty     *os.File

	mu     sync.Mutex
	out    []byte // everything the shell printed, raw
	pos    int    // out[:pos] has been returned to the caller already
	eof    bool   // the pty read side is done
	notify chan struct{}

	readDone chan struct{} // reader goroutine ended
	exited   chan struct{} // shell process reaped

	lastPrompt int  // number of the last prompt consumed
	atPrompt   bool // a prompt was consumed and nothing typed since
	promptAt   time.Time
	startup    string
	envN       int
	closeOnce  sync.Once
}

// Columns of the pseudo-terminal. Wide, so that a typed line never wraps:
// the echo of a wrapped line differs between line editors.
const (
	cols       = 1000
	maxLineLen = 800
)

// promptRE matches the driver's prompt once escapes are stripped.
var promptRE = regexp.MustCompile(`\(shelltest (\d+)\)> `)

// Start starts o.Shell under a pseudo-terminal and waits for its first prompt.
//
// Start-up is isolated from the machine's and the user's rc files: bash gets
// --noprofile --rcfile and INPUTRC=/dev/null, zsh --no-globalrcs and a
// temporary ZDOTDIR, fish a temporary XDG_CONFIG_HOME and XDG_DATA_HOME. (zsh
// still reads /etc/zsh/zshenv, which nothing can turn off, and fish still
// reads /etc/fish and the vendor conf.d files.) Those variables are put back
// to the caller's values (or unset) by the rc file before o.RC runs, so the
// environment the shell and o.RC see is o.Env plus only: HOME (a temporary
// directory) if o.Env has none, TERM=xterm-256color if o.Env has none, and
// LC_CTYPE=C.UTF-8 if o.Env sets none of LC_ALL, LC_CTYPE and LANG (needed to
// type non-ASCII text). History is off.
func Start(t testing.TB, o Options) *Session {
	t.Helper()
	kind := filepath.Base(o.Shell)
	if kind != "bash" && kind != "zsh" && kind != "fish" {
		t.Fatalf("shelltest: unsupported shell %q (want bash, zsh or fish)", o.Shell)
	}
	shellPath := testenv.Tool(t, o.Shell)
	s := &Session{
		t:        t,
		kind:     kind,
		timeout:  o.Timeout,
		dir:      t.TempDir(),
		envTool:  testenv.Tool(t, "env"),
		notify:   make(chan struct{}, 1),
		readDone: make(chan struct{}),
		exited:   make(chan struct{}),
	}
	if s.timeout <= 0 {
		s.timeout = 20 * time.Second
	}

	env := append([]string(nil), o.Env...)
	if _, ok := lookup(env, "HOME"); !ok {
		home := filepath.Join(s.dir, "home")
		mkdir(t, home)
		env = append(env, "HOME="+home)
	}
	if _, ok := lookup(env, "TERM"); !ok {
		env = append(env, "TERM=xterm-256color")
	}
	if !hasLocale(env) {
		env = append(env, "LC_CTYPE=C.UTF-8")
	}

	var args []string
	var rc strings.Builder
	switch kind {
	case "bash":
		rcFile := filepath.Join(s.dir, "bashrc")
		args = []string{"--noprofile", "--rcfile", rcFile, "-i"}
		rc.WriteString("set +o history; unset HISTFILE\n")
		// bind starts readline, which reads $INPUTRC, ~/.inputrc or
		// /etc/inputrc: point it at nothing unless the caller chose.
		if _, ok := lookup(env, "INPUTRC"); !ok {
			rc.WriteString("INPUTRC=/dev/null\n")
		}
		// bash expands PS1 in the shell itself, so the arithmetic
		// increment sticks and every prompt gets a new number.
		rc.WriteString(`bind 'set enable-bracketed-paste off'
__shelltest_n=0
PS1='(shelltest $((++__shelltest_n)))> '
`)
		rc.WriteString(restore(kind, env, "INPUTRC"))
		writeFile(t, rcFile, rc.String()+o.RC+"\n")
	case "zsh":
		zdot := filepath.Join(s.dir, "zdotdir")
		mkdir(t, zdot)
		args = []string{"--no-globalrcs", "-i"}
		// PROMPT_SP/PROMPT_CR would print "%", spaces and \r before each
		// prompt; PROMPT_SUBST lets the prompt count itself. zle creates
		// zle_bracketed_paste lazily, so unset would not stick; an empty
		// array does (the first prompt still turns it on).
		rc.WriteString(`unsetopt PROMPT_SP PROMPT_CR
setopt PROMPT_SUBST
zle_bracketed_paste=()
unset HISTFILE; SAVEHIST=0
__shelltest_n=0
PROMPT='(shelltest $((++__shelltest_n)))> '
RPROMPT=''
`)
		rc.WriteString(restore(kind, env, "ZDOTDIR"))
		env = setEnv(env, "ZDOTDIR", zdot)
		writeFile(t, filepath.Join(zdot, ".zshrc"), rc.String()+o.RC+"\n")
	case "fish":
		cfg := filepath.Join(s.dir, "config")
		data := filepath.Join(s.dir, "data")
		mkdir(t, filepath.Join(cfg, "fish"))
		// Its existence stops fish from starting a background job that
		// generates completions from every man page on the machine.
		mkdir(t, filepath.Join(data, "fish", "generated_completions"))
		args = []string{"-i"}
		rc.WriteString(`function fish_greeting; end
function fish_title; end
function fish_right_prompt; end
function fish_mode_prompt; end
set -g fish_autosuggestion_enabled 0
set -g fish_history ''
set -g __shelltest_n 0
function fish_prompt
    set -g __shelltest_n (math $__shelltest_n + 1)
    printf '(shelltest %d)> ' $__shelltest_n
end
`)
		rc.WriteString(restore(kind, env, "XDG_CONFIG_HOME"))
		rc.WriteString(restore(kind, env, "XDG_DATA_HOME"))
		env = setEnv(env, "XDG_CONFIG_HOME", cfg)
		env = setEnv(env, "XDG_DATA_HOME", data)
		writeFile(t, filepath.Join(cfg, "fish", "config.fish"), rc.String()+o.RC+"\n")
	}

	s.cmd = exec.Command(shellPath, args...)
	s.cmd.Env = env
	s.cmd.Dir = o.Dir
	f, err := pty.StartWithSize(s.cmd, &pty.Winsize{Rows: 50, Cols: cols})
	if err != nil {
		t.Fatalf("shelltest: starting %s: %v", kind, err)
	}
	s.pty = pollable(t, f)
	go s.read()
	go func() {
		_ = s.cmd.Wait() // the exit status of an interactive shell says nothing useful
		close(s.exited)
	}()
	t.Cleanup(s.Close)

	s.startup = s.waitPrompt("the first prompt", false)
	return s
}

// StartupOutput is what the shell printed before its first prompt (e.g. a
// message from the hook for the starting directory, or errors in RC).
func (s *Session) StartupOutput() string { return s.startup }

// Run types line and Enter, waits for the next prompt and returns what was
// printed in between, without the echoed line, ANSI escapes and carriage
// returns. line must be one line of printable text: use Quote for odd
// arguments and Send for control keys.
func (s *Session) Run(line string) string {
	s.t.Helper()
	for _, r := range line {
		if r < 0x20 || r == 0x7f {
			s.fatalf("Run(%q): control characters cannot be typed as a line; use Quote or Send", line)
		}
	}
	if len(line) > maxLineLen {
		s.fatalf("Run: line of %d bytes is longer than %d", len(line), maxLineLen)
	}
	s.write(line + "\r")
	out := s.waitPrompt(fmt.Sprintf("the prompt after %q", line), true)
	// The line editor echoes the typed line and ends it with a newline
	// before the command runs; the first newline ends the echo.
	_, out, _ = strings.Cut(out, "\n")
	return out
}

// Send writes keys to the terminal as typed, without waiting: "\x03" is
// Ctrl-C, "123456\r" answers a prompt.
//
// Right after a prompt Send first lets settle pass: bash and zsh can lose a
// Ctrl-C that arrives within microseconds of the prompt (it is acted on only
// at the next key), which no human is fast enough to hit. Note that fish
// draws no new prompt for Ctrl-C on an empty command line.
func (s *Session) Send(keys string) {
	s.t.Helper()
	if s.atPrompt {
		time.Sleep(time.Until(s.promptAt.Add(settle)))
	}
	s.write(keys)
}

// settle is how long after a prompt Send waits before typing.
const settle = 50 * time.Millisecond

// Expect waits until the output since the last prompt or Expect contains
// substr and returns it up to and including substr. Note that after
// Send("cmd\r") the output starts with the shell's echo of cmd.
func (s *Session) Expect(substr string) string {
	s.t.Helper()
	return s.wait(fmt.Sprintf("%q", substr), func(text string) (int, bool) {
		i := strings.Index(text, substr)
		return i + len(substr), i >= 0
	})
}

// WaitPrompt waits for the next prompt and returns what was printed before it.
func (s *Session) WaitPrompt() string {
	s.t.Helper()
	return s.waitPrompt("the next prompt", false)
}

// Env returns the shell's exported environment, byte-exact. It runs env -0
// at the prompt, so the hooks before the next prompt run once more; their
// output is dropped. "_" is left out: the shell sets it to env's own path.
func (s *Session) Env() map[string]string {
	s.t.Helper()
	s.envN++
	file := filepath.Join(s.dir, fmt.Sprintf("env%d", s.envN))
	out := s.Run(s.Quote(s.envTool) + " -0 > " + s.Quote(file))
	data, err := os.ReadFile(file)
	if err != nil {
		s.fatalf("Env: %v (shell printed %q)", err, out)
	}
	_ = os.Remove(file)
	m := make(map[string]string)
	for _, kv := range strings.Split(string(data), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "_" {
			m[k] = v
		}
	}
	return m
}

// Quote returns arg quoted for the session's shell so that it can be typed in
// a Run line: one line of printable text however odd arg is.
func (s *Session) Quote(arg string) string {
	if s.kind == "fish" {
		return quoteFish(arg)
	}
	return quotePOSIX(arg)
}

// Close ends the shell: at a prompt it types exit; if the shell is busy, or
// still there a few seconds after exit, it hangs up the terminal and then
// kills the shell's process group. It is bounded, safe to call twice and
// registered with t.Cleanup by Start.
func (s *Session) Close() {
	s.closeOnce.Do(func() {
		pid := s.cmd.Process.Pid
		exited := false
		if s.atPrompt {
			_ = s.pty.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = s.pty.Write([]byte("exit\r")) // may fail if the shell is gone
			exited = waitChan(s.exited, 3*time.Second)
		}
		if !exited {
			// Closing the master hangs up the terminal, as closing a
			// terminal window would: the shell gets SIGHUP and passes it
			// on to its jobs.
			_ = s.pty.Close()
			if !waitChan(s.exited, 2*time.Second) {
				_ = syscall.Kill(-pid, syscall.SIGKILL) // pty.Start made the shell a group leader
			}
		}
		_ = s.pty.Close()
		if !waitChan(s.exited, s.timeout) {
			s.t.Errorf("shelltest: %s (pid %d) did not exit after SIGKILL", s.kind, pid)
		}
		if !waitChan(s.readDone, s.timeout) {
			s.t.Errorf("shelltest: reading the %s terminal did not stop", s.kind)
		}
	})
}

// read copies the terminal's output into s.out until the terminal is closed
// or every process holding its other side is gone.
func (s *Session) read() {
	defer close(s.readDone)
	buf := make([]byte, 32*1024)
	for {
		n, err := s.pty.Read(buf)
		s.mu.Lock()
		s.out = append(s.out, buf[:n]...)
		s.eof = err != nil
		s.mu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

func (s *Session) write(b string) {
	s.t.Helper()
	s.atPrompt = false
	// A shell that stops reading fills the terminal's input queue.
	_ = s.pty.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := s.pty.Write([]byte(b)); err != nil {
		s.fatalf("writing %q to the terminal: %v", b, err)
	}
}

// waitPrompt waits for a prompt numbered higher than the last one (a prompt
// redrawn in place keeps its number) and returns the text before it. With
// afterEcho, the prompt must come after the first newline, i.e. after the
// typed line was accepted.
func (s *Session) waitPrompt(what string, afterEcho bool) string {
	s.t.Helper()
	n, start := 0, 0
	text := s.wait(what, func(text string) (int, bool) {
		from := 0
		if afterEcho {
			from = strings.IndexByte(text, '\n') + 1
			if from == 0 {
				return 0, false
			}
		}
		for _, m := range promptRE.FindAllStringSubmatchIndex(text[from:], -1) {
			k, _ := strconv.Atoi(text[from+m[2] : from+m[3]])
			if k > s.lastPrompt {
				n, start = k, from+m[0]
				return from + m[1], true
			}
		}
		return 0, false
	})
	s.lastPrompt = n
	s.atPrompt, s.promptAt = true, time.Now()
	return text[:start]
}

// wait cleans the output not returned yet until match finds the end of what
// it waits for, then returns the text up to there and marks it returned.
func (s *Session) wait(what string, match func(text string) (int, bool)) string {
	s.t.Helper()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		text, ends := clean(s.out[s.pos:])
		eof := s.eof
		if k, ok := match(string(text)); ok {
			if k > 0 {
				s.pos += ends[k-1]
			}
			s.mu.Unlock()
			return string(text[:k])
		}
		s.mu.Unlock()
		if eof {
			s.fatalf("the shell's terminal closed while waiting for %s", what)
		}
		select {
		case <-s.notify:
		case <-timer.C:
			s.fatalf("timed out after %v waiting for %s", s.timeout, what)
		}
	}
}

// fatalf fails the test with the last ~2 KB of output, cleaned, and the raw
// end of it, where a prompt that was not recognised would show.
func (s *Session) fatalf(format string, args ...any) {
	s.t.Helper()
	s.mu.Lock()
	raw := s.out
	if len(raw) > 2048 {
		raw = raw[len(raw)-2048:]
	}
	text, _ := clean(raw)
	tail := raw
	if len(tail) > 400 {
		tail = tail[len(tail)-400:]
	}
	s.mu.Unlock()
	s.t.Fatalf("shelltest %s: %s\n--- last output ---\n%s\n--- raw end ---\n%q",
		s.kind, fmt.Sprintf(format, args...), text, tail)
}

// pollable returns f as a non-blocking file in Go's poller. pty hands back the
// master in blocking mode (its Fd calls made it so), and a Read blocked in the
// kernel keeps the descriptor open through Close: then Close could neither
// hang up the terminal nor stop the reader goroutine.
func pollable(t testing.TB, f *os.File) *os.File {
	t.Helper()
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	_ = f.Close()
	if err != nil {
		t.Fatalf("shelltest: pty master: %v", err)
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx")
}

func waitChan(c <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c:
		return true
	case <-t.C:
		return false
	}
}

// Control sequences: CSI (ESC [ ... final), strings ended by BEL or ESC \
// (OSC, DCS, APC, PM, SOS), and short ESC sequences (ESC =, ESC ( B).
var (
	// fish starts every prompt by printing "⏎", a screen of spaces, "\r",
	// "⏎ " and "\r" (its PROMPT_SP), so that output without a final
	// newline stays visible. Dropped as a whole, with the terminfo padding
	// ("$<2>") fish prints literally for terminals like vt100.
	fishAbandonRE = regexp.MustCompile(`(?:⏎|¶|~|\^J)(?:\$<[0-9.*/]+>)? *\r(?:⏎|¶|~|\^J) *\r(?:\$<[0-9.*/]+>)?`)
)

// clean strips terminal control sequences, \r and other control characters
// but \n and \t from raw. For each byte of the text it returns the offset in
// raw just past the bytes that produced it, so that a position in the text
// maps back to raw. An escape sequence cut off at the end of raw ends the text
// before it; the rest arrives with a later read.
func clean(raw []byte) ([]byte, []int) {
	text := make([]byte, 0, len(raw))
	ends := make([]int, 0, len(raw))
	i := 0
	for i < len(raw) {
		c := raw[i]
		if c != 0x1b {
			if c >= 0x20 && c != 0x7f || c == '\n' || c == '\t' || c == '\r' {
				text = append(text, c)
				ends = append(ends, i+1)
			}
			i++
			continue
		}
		j := escEnd(raw, i)
		if j < 0 {
			break // incomplete
		}
		i = j
	}
	// Drop fish's line-abandoning dance, then the remaining \r.
	for _, m := range fishAbandonRE.FindAllIndex(text, -1) {
		for k := m[0]; k < m[1]; k++ {
			text[k] = '\r'
		}
	}
	n := 0
	for k, c := range text {
		if c != '\r' {
			text[n], ends[n] = c, ends[k]
			n++
		}
	}
	return text[:n], ends[:n]
}

// escEnd returns the offset just past the escape sequence starting at raw[i]
// (an ESC), or -1 if raw ends inside it.
func escEnd(raw []byte, i int) int {
	if i+1 >= len(raw) {
		return -1
	}
	switch c := raw[i+1]; {
	case c == '[':
		for j := i + 2; j < len(raw); j++ {
			if raw[j] >= 0x40 && raw[j] <= 0x7e {
				return j + 1
			}
			if raw[j] < 0x20 || raw[j] > 0x3f {
				return j // malformed: drop the introducer only
			}
		}
		return -1
	case c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X':
		for j := i + 2; j < len(raw); j++ {
			if raw[j] == 0x07 {
				return j + 1
			}
			if raw[j] == 0x1b && j+1 < len(raw) && raw[j+1] == '\\' {
				return j + 2
			}
		}
		return -1
	case c >= 0x20 && c <= 0x2f: // intermediates, then one final byte
		for j := i + 2; j < len(raw); j++ {
			if raw[j] < 0x20 || raw[j] > 0x2f {
				return j + 1
			}
		}
		return -1
	default:
		return i + 2
	}
}

// quotePOSIX quotes for bash and zsh: '...' when arg is printable, else
// $'...' so that newlines and other control characters stay on one line.
func quotePOSIX(arg string) string {
	printable := true
	for i := 0; i < len(arg); i++ {
		if arg[i] < 0x20 || arg[i] == 0x7f {
			printable = false
		}
	}
	if printable {
		return "'" + strings.ReplaceAll(arg, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(arg); i++ {
		switch c := arg[i]; {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// quoteFish quotes for fish: single quotes, where only \\ and \' are escapes,
// with control characters written as escapes outside the quotes.
func quoteFish(arg string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(arg); i++ {
		switch c := arg[i]; {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `'\x%02x'`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// restore returns rc code that gives name back the value it has in env, or
// unsets it, after the driver pointed it elsewhere for start-up.
func restore(kind string, env []string, name string) string {
	v, ok := lookup(env, name)
	switch {
	case kind == "fish" && ok:
		return "set -gx " + name + " " + quoteFish(v) + "\n"
	case kind == "fish":
		return "set -e " + name + "\n"
	case ok:
		return "export " + name + "=" + quotePOSIX(v) + "\n"
	default:
		return "unset " + name + "\n"
	}
}

// lookup finds name in env; like exec.Cmd, the last entry wins.
func lookup(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func setEnv(env []string, name, value string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}

func hasLocale(env []string) bool {
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v, ok := lookup(env, name); ok && v != "" {
			return true
		}
	}
	return false
}

func mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
