package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/watch"
)

// Waits for the watcher are bounded generously and assert what happened,
// never how fast: the watcher reacts within milliseconds, a busy machine
// may take seconds.
const watchPatience = 30 * time.Second

const editedDeployFile = deployFile + "# edited after it was allowed\n"

// paths are the world's awsrole directories, as the shells see them.
func (w *world) paths() hook.Paths {
	return hook.Paths{Config: filepath.Join(w.home, ".config/awsrole"), Data: filepath.Join(w.home, ".local/share/awsrole"),
		Cache: filepath.Join(w.home, ".cache/awsrole"), State: filepath.Join(w.home, ".local/state/awsrole")}
}

func (w *world) gen() string { return hook.CurrentGen(w.paths()) }

// showWatchLog puts the watcher's log into the output of a failed test.
func showWatchLog(t *testing.T, w *world) {
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(watch.LogFile(w.paths()))
			t.Logf("watch.log:\n%s", b)
		}
	})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(watchPatience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for: %s", watchPatience, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// edit changes a file and waits for the watcher to bump the generation, as
// it does within milliseconds, before the user's next prompt.
func (w *world) edit(t *testing.T, rel, content string) {
	t.Helper()
	before := w.gen()
	w.write(rel, content)
	waitUntil(t, "the watcher to notice "+rel, func() bool { return w.gen() != before })
}

// holdWatchLock takes the watcher's lock as a watcher would, so that no
// watcher runs in this world: the prompt must work without one.
func holdWatchLock(t *testing.T, w *world) {
	t.Helper()
	p := w.paths()
	if err := os.MkdirAll(p.State, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(p.State, "watch.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

// With the watcher running, an edit to the active file blocks it at the very
// next prompt, without a cd, in every shell.
func TestWatcherBlocksEditAtNextPrompt(t *testing.T) {
	for _, kind := range []string{"bash", "zsh", "fish"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			showWatchLog(t, w)
			dir := w.allowedProject("infra", deployFile)
			s := w.shell(kind)
			wantOutput(t, s.Run("cd infra"), "awsrole: assumed "+deployRole)
			waitUntil(t, "the prompt to start the watcher", func() bool { return watch.Running(w.paths()) })
			w.edit(t, "infra/.awsrole.toml", editedDeployFile)
			out := s.Run("true")
			wantOutput(t, out, "awsrole: "+filepath.Join(dir, ".awsrole.toml")+" changed since it was allowed; run 'awsrole allow' to trust it")
			assertNoCredentials(t, s.Env())
		})
	}
}

// Without a watcher the prompt cannot know without looking: the edit is
// caught at the next cd, or at the refresh time, whichever comes first.
func TestWithoutWatcherEditCaughtAtCdOrRefresh(t *testing.T) {
	t.Run("at the next cd", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		holdWatchLock(t, w)
		dir := w.allowedProject("infra", deployFile)
		if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		s := w.shell("bash")
		wantOutput(t, s.Run("cd infra"), "awsrole: assumed "+deployRole)
		before := w.gen()
		w.write("infra/.awsrole.toml", editedDeployFile)
		if out := s.Run("true"); strings.Contains(out, "changed since") || w.gen() != before {
			t.Fatalf("something bumped the generation without a watcher: %q", out)
		}
		out := s.Run("cd sub")
		wantOutput(t, out, "changed since it was allowed")
		assertNoCredentials(t, s.Env())
	})
	t.Run("at the refresh time", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		holdWatchLock(t, w)
		w.sts.SetActionLifetime("AssumeRole", 8*time.Second)
		w.write(".config/awsrole/config.toml", "refresh_margin = \"5s\"\n")
		w.allowedProject("infra", deployFile)
		s := w.shell("bash")
		wantOutput(t, s.Run("cd infra"), "awsrole: assumed "+deployRole)
		exp, err := time.Parse(time.RFC3339, s.Env()["AWS_CREDENTIAL_EXPIRATION"])
		if err != nil {
			t.Fatal(err)
		}
		w.write("infra/.awsrole.toml", editedDeployFile)
		waitUntil(t, "the refresh time", func() bool { return time.Now().After(exp.Add(-4 * time.Second)) })
		out := s.Run("true")
		wantOutput(t, out, "changed since it was allowed")
		assertNoCredentials(t, s.Env())
	})
}

// The watcher is one process per user, started by the prompt, with nothing
// secret in its arguments, environment or log; it survives its directory
// being deleted and recreated; killed, it leaves everything working and the
// next prompt that needs it starts another.
func TestWatcherProcess(t *testing.T) {
	w := newWorld(t)
	showWatchLog(t, w)
	p := w.paths()
	dir := w.allowedProject("infra", deployFile)
	s := w.shell("bash")
	wantOutput(t, s.Run("cd infra"), "awsrole: assumed "+deployRole)
	waitUntil(t, "the prompt to start the watcher", func() bool { return watch.PID(p) != 0 })
	pid := watch.PID(p)
	inside := s.Env()

	// Single instance: another shell's prompt and a start by hand find it.
	other := w.shell("zsh")
	wantOutput(t, other.Run("cd infra"), "awsrole: assumed "+deployRole)
	if out, err := w.awsrole(w.home, "watch"); err != nil {
		t.Errorf("a second watcher: %v\n%s", err, out)
	}
	if got := watch.PID(p); got != pid {
		t.Errorf("watcher pid %d, want the first one (%d)", got, pid)
	}

	// Nothing secret where other users' tools (ps) or a log reader look.
	secrets := map[string]string{
		"the user's secret key": w.alice.SecretAccessKey, "the user's key id": w.alice.AccessKeyID,
		"the user's stale token": staleToken, "the role's secret key": inside["AWS_SECRET_ACCESS_KEY"],
		"the role's session token": inside["AWS_SESSION_TOKEN"],
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	logText, _ := os.ReadFile(watch.LogFile(p))
	for what, secret := range secrets {
		if secret == "" {
			t.Fatalf("%s is empty; the test would prove nothing", what)
		}
		for where, text := range map[string][]byte{"cmdline": cmdline, "environ": environ, "watch.log": logText} {
			if strings.Contains(string(text), secret) {
				t.Errorf("%s is in the watcher's %s", what, where)
			}
		}
	}
	for _, kv := range strings.Split(strings.TrimRight(string(environ), "\x00"), "\x00") {
		name, _, _ := strings.Cut(kv, "=")
		if name != "HOME" && name != "PATH" && !strings.HasPrefix(name, "XDG_") {
			t.Errorf("the watcher's environment has %s; want HOME, PATH and XDG_* only", name)
		}
	}

	// The project directory deleted: the next prompt unloads, no cd needed.
	before := w.gen()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the watcher to notice the deletion", func() bool { return w.gen() != before })
	wantOutput(t, s.Run("true"), "awsrole: unloaded")
	if env := s.Env(); env["AWS_ACCESS_KEY_ID"] != "" || env["AWSROLE_ROLE"] != "" {
		t.Errorf("credentials of a deleted project are still exported")
	}
	// Recreated as it was (so still allowed), entered again, then edited:
	// the watch followed the directory back.
	before = w.gen()
	w.project("infra", deployFile)
	waitUntil(t, "the watcher to notice the new directory", func() bool { return w.gen() != before })
	wantOutput(t, s.Run("cd "+shQuote(dir)), "awsrole: assumed "+deployRole)
	w.edit(t, "infra/.awsrole.toml", editedDeployFile)
	wantOutput(t, s.Run("true"), "changed since it was allowed")
	if got := watch.PID(p); got != pid {
		t.Fatalf("the watcher did not survive (pid %d, was %d)", got, pid)
	}

	// Killed: everything keeps working, and a prompt that runs the binary
	// starts another watcher.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the watcher to die", func() bool { return !watch.Running(p) })
	if out, err := w.awsrole(dir, "allow"); err != nil {
		t.Fatalf("allow: %v\n%s", err, out)
	}
	wantOutput(t, s.Run("true"), "awsrole: assumed "+deployRole)
	assertRole(t, s.Env(), deployRole, "ap-east-1")
	waitUntil(t, "a new watcher", func() bool { return watch.PID(p) != 0 && watch.PID(p) != pid })
}

// A watcher that no prompt has used for its idle time exits; the next
// prompt that runs the binary starts another.
func TestWatcherExitsWhenIdle(t *testing.T) {
	w := newWorld(t)
	p := w.paths()
	if err := os.MkdirAll(p.State, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(awsroleBin, "watch", "--idle", "3s")
	for _, kv := range w.env {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "XDG_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	waitUntil(t, "the watcher to start", func() bool { return watch.PID(p) == cmd.Process.Pid })

	w.allowedProject("infra", deployFile)
	s := w.shell("bash")
	wantOutput(t, s.Run("cd infra"), "awsrole: assumed "+deployRole)
	if got := watch.PID(p); got != cmd.Process.Pid {
		t.Fatalf("the prompt started another watcher (%d) although one ran (%d)", got, cmd.Process.Pid)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the idle watcher exited with %v", err)
		}
		exited <- nil // for the cleanup
	case <-time.After(watchPatience):
		t.Fatal("the watcher is still running with no prompt for 3s")
	}
	if watch.Running(p) {
		t.Fatal("the lock is still held")
	}
	wantOutput(t, s.Run("cd .. && cd infra"), "") // the binary runs: a new watcher
	waitUntil(t, "a new watcher", func() bool { return watch.Running(p) })
	assertRole(t, s.Env(), deployRole, "ap-east-1")
}

// Credentials near expiry are refreshed by the watcher while the shell sits
// idle; the prompt at the refresh time finds them cached and calls nobody.
func TestWatcherRefreshesAheadOfExpiry(t *testing.T) {
	w := newWorld(t)
	w.sts.SetActionLifetime("AssumeRole", 20*time.Second)
	w.write(".config/awsrole/config.toml", "refresh_margin = \"5s\"\n")
	w.allowedProject("infra", deployFile)
	s := w.shell("bash")
	wantOutput(t, s.Run("cd infra"), "awsrole: assumed "+deployRole)
	first := s.Env()
	exp, err := time.Parse(time.RFC3339, first["AWS_CREDENTIAL_EXPIRATION"])
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a background refresh", func() bool { return w.sts.Calls("AssumeRole") == 2 })
	if envs, _ := filepath.Glob(filepath.Join(w.paths().State, "refresh", "*")); len(envs) != 0 {
		t.Errorf("the refresh environment outlived its use: %v", envs)
	}
	waitUntil(t, "the refresh time", func() bool { return time.Now().After(exp.Add(-4 * time.Second)) })
	out := s.Run("true")
	wantOutput(t, out, "awsrole: refreshed "+deployRole+" until ")
	if n := w.sts.Calls("AssumeRole"); n != 2 {
		t.Errorf("%d AssumeRole calls; the prompt should have found the refreshed credentials cached", n)
	}
	env := s.Env()
	assertRole(t, env, deployRole, "ap-east-1")
	if env["AWS_ACCESS_KEY_ID"] == first["AWS_ACCESS_KEY_ID"] {
		t.Error("the credentials were not refreshed")
	}
}
