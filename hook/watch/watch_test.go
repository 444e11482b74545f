package watch

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/state"
	"github.com/awsrole/awsrole/hook/trust"
	"github.com/awsrole/awsrole/internal/testenv"
)

// Waits are bounded generously and assert what happened, never how fast.
const patience = 20 * time.Second

type fixture struct {
	t    *testing.T
	home string
	p    hook.Paths
	log  *testenv.Buffer
	done chan error
	stop context.CancelFunc
	// refreshed receives the keys the watcher asked to refresh.
	refreshed chan string
}

func newFixture(t *testing.T) *fixture {
	home := t.TempDir()
	f := &fixture{t: t, home: home, log: &testenv.Buffer{}, refreshed: make(chan string, 8), p: hook.Paths{
		Config: filepath.Join(home, "config"), Data: filepath.Join(home, "data"),
		Cache: filepath.Join(home, "cache"), State: filepath.Join(home, "state")}}
	// As after any 'awsrole allow': a generation exists.
	if err := hook.BumpGen(f.p); err != nil {
		t.Fatal(err)
	}
	return f
}

// start runs a watcher in this process until the test ends.
func (f *fixture) start(idle time.Duration) {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f.stop, f.done = cancel, make(chan error, 1)
	go func() {
		f.done <- Run(ctx, Options{Paths: f.p, Idle: idle, Debounce: 20 * time.Millisecond, Log: f.log, CreateLock: true,
			Refresh: func(_ context.Context, key string) error { f.refreshed <- key; return nil }})
	}()
	f.t.Cleanup(func() {
		cancel()
		select {
		case <-f.done:
		case <-time.After(patience):
			f.t.Error("the watcher did not stop")
		}
	})
	f.waitFor("running", func() bool { return Running(f.p) })
}

func (f *fixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("gave up waiting for: %s\nlog:\n%s", what, f.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// watchedProject makes project "infra", registers it as an active shell
// would and starts a watcher, returning once the file is watched.
func (f *fixture) watchedProject() string {
	f.t.Helper()
	path := f.project("infra", content)
	f.register(path, content, time.Time{}, nil)
	f.start(time.Hour)
	f.waitFor("watching the file", func() bool { return strings.Contains(f.log.String(), "watching "+path) })
	return path
}

func (f *fixture) gen() string { return hook.CurrentGen(f.p) }

// bumped waits for the generation to move on from before.
func (f *fixture) bumped(before, why string) string {
	f.t.Helper()
	f.waitFor("a new generation: "+why, func() bool { return f.gen() != before })
	return f.gen()
}

// project writes dir/.awsrole.toml and returns its path.
func (f *fixture) project(name, content string) string {
	f.t.Helper()
	dir := filepath.Join(f.home, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		f.t.Fatal(err)
	}
	path := filepath.Join(dir, ".awsrole.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		f.t.Fatal(err)
	}
	return path
}

// register does what a prompt's export does for a shell governed by path.
func (f *fixture) register(path, content string, refreshAt time.Time, base state.Env) {
	f.t.Helper()
	st := &state.State{File: path, Dir: filepath.Dir(path), Digest: config.Digest([]byte(content)), Role: "arn:aws:iam::222222222222:role/deploy",
		RefreshAt: refreshAt, Set: map[string]string{}}
	if err := register(f.p, hook.Result{State: st, Base: base}); err != nil {
		f.t.Fatal(err)
	}
}

const content = "role_arn = \"arn:aws:iam::222222222222:role/deploy\"\n"

func TestSingleInstance(t *testing.T) {
	f := newFixture(t)
	if Running(f.p) {
		t.Fatal("Running before any watcher started")
	}
	f.start(time.Hour)
	if pid := PID(f.p); pid != os.Getpid() {
		t.Errorf("PID = %d, want this process (%d)", pid, os.Getpid())
	}
	err := Run(context.Background(), Options{Paths: f.p, Idle: time.Hour, CreateLock: true})
	if !errors.Is(err, ErrRunning) {
		t.Errorf("a second watcher: %v, want ErrRunning", err)
	}
	if !Running(f.p) {
		t.Error("the first watcher lost its lock")
	}
}

func TestEditOfActiveFileBumps(t *testing.T) {
	f := newFixture(t)
	path := f.watchedProject()
	before := f.gen()
	// Another file in the same directory is no reason to re-evaluate.
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "README"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content+"region = \"eu-west-1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.bumped(before, "the edit")
	if strings.Contains(f.log.String(), "README") {
		t.Errorf("an unrelated file caused a bump:\n%s", f.log.String())
	}
	if !strings.Contains(f.log.String(), path+" changed") {
		t.Errorf("the log does not say which file changed:\n%s", f.log.String())
	}
}

func TestEditBeforeWatchingIsSeen(t *testing.T) {
	f := newFixture(t)
	path := f.project("infra", content)
	f.register(path, content, time.Time{}, nil)
	// Edited after the prompt read it, before any watcher looked.
	if err := os.WriteFile(path, []byte(content+"# edited\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := f.gen()
	f.start(time.Hour)
	f.bumped(before, "the edit made before the watch")
}

// An edit that lands after the watcher read a registration but before its
// watch on the file is in place sends no event: the watcher must still see it.
func TestEditJustBeforeTheWatchIsSeen(t *testing.T) {
	f := newFixture(t)
	path := f.project("infra", content)
	f.register(path, content, time.Time{}, nil)
	var once sync.Once
	testHookWatchAll = func() {
		once.Do(func() {
			if err := os.WriteFile(path, []byte(content+"# edited\n"), 0o600); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(func() { testHookWatchAll = nil })
	before := f.gen()
	f.start(time.Hour)
	f.bumped(before, "the edit made as the watch was being set up")
}

func TestDirectoryDeletedRecreatedRenamed(t *testing.T) {
	f := newFixture(t)
	path := f.watchedProject()
	dir := filepath.Dir(path)

	t.Log("delete")
	g := f.gen()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	g = f.bumped(g, "the directory was deleted")

	t.Log("recreate")
	f.project("infra", content)
	g = f.bumped(g, "the directory came back")
	// The watch is on the new directory: an edit there is seen.
	if err := os.WriteFile(path, []byte(content+"# edited\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g = f.bumped(g, "an edit in the recreated directory")

	t.Log("rename away and back")
	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	g = f.bumped(g, "the directory was renamed away")
	if err := os.Rename(dir+".old", dir); err != nil {
		t.Fatal(err)
	}
	g = f.bumped(g, "the directory was renamed back")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	f.bumped(g, "an edit after the renames")
	if !Running(f.p) {
		t.Error("the watcher did not survive")
	}
}

func TestTrustStoreChangeBumps(t *testing.T) {
	f := newFixture(t)
	path := f.watchedProject()
	before := f.gen()
	// As another tool would: a change to the store without a bump of its own.
	if err := (trust.Store{Dir: f.p.Data}).Allow(path, []byte(content)); err != nil {
		t.Fatal(err)
	}
	g := f.bumped(before, "a new trust store")
	if err := os.RemoveAll(f.p.Data); err != nil {
		t.Fatal(err)
	}
	f.bumped(g, "the trust store removed")
}

func TestRefreshAheadThenBumpAtRefreshTime(t *testing.T) {
	f := newFixture(t)
	path := f.project("infra", content)
	refreshAt := time.Now().Add(2 * time.Second)
	f.register(path, content, refreshAt, state.Env{"AWS_PROFILE": "dev", "HOME": f.home, "GITHUB_TOKEN": "ghp_not_for_aws"})
	f.start(time.Hour)
	select {
	case key := <-f.refreshed:
		if time.Now().After(refreshAt) {
			t.Errorf("the background refresh ran after the refresh time")
		}
		if _, err := os.Stat(filepath.Join(refreshPath(f.p), key+".env")); err != nil {
			t.Errorf("the refresh was asked for a key without an environment: %v", err)
		}
	case <-time.After(patience):
		t.Fatalf("no background refresh:\n%s", f.log.String())
	}
	before := f.gen()
	f.waitFor("the refresh time", func() bool { return time.Now().After(refreshAt) })
	f.bumped(before, "the refresh time")
}

func TestRegistrationHoldsNoCredential(t *testing.T) {
	f := newFixture(t)
	path := f.project("infra", content)
	secret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	base := state.Env{"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": secret,
		"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1", "GITHUB_TOKEN": "ghp_not_for_aws", "USER": "alice"}
	f.register(path, content, time.Now().Add(time.Hour), base)
	regs, _ := filepath.Glob(filepath.Join(activePath(f.p), "*.json"))
	envs, _ := filepath.Glob(filepath.Join(refreshPath(f.p), "*.env"))
	if len(regs) != 1 || len(envs) != 1 {
		t.Fatalf("registrations %v, environments %v; want one of each", regs, envs)
	}
	b, _ := os.ReadFile(regs[0])
	if strings.Contains(string(b), secret) || strings.Contains(string(b), "AKIA") {
		t.Errorf("the registration holds a credential: %s", b)
	}
	if strings.Contains(regs[0], config.Digest([]byte(secret))[:8]) {
		t.Error("the registration key depends on the secret")
	}
	for _, p := range append(regs, envs...) {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	var env map[string]string
	b, _ = os.ReadFile(envs[0])
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	if env["AWS_SECRET_ACCESS_KEY"] != secret || env["USER"] != "alice" || env["AWS_ENDPOINT_URL_STS"] == "" {
		t.Errorf("the refresh environment lacks what a refresh needs: %v", keys(env))
	}
	if _, ok := env["GITHUB_TOKEN"]; ok {
		t.Error("the refresh environment holds a variable AWS does not read")
	}
	// The same shell at the next prompt: the same registration, touched.
	f.register(path, content, time.Now().Add(time.Hour), base)
	if regs2, _ := filepath.Glob(filepath.Join(activePath(f.p), "*.json")); len(regs2) != 1 {
		t.Errorf("a second prompt made %d registrations, want 1", len(regs2))
	}
}

// TestKilledWriterLeavesNoSecret: a temporary file that a prompt killed
// while writing a refresh environment left behind (it may hold the user's
// own keys) goes at the next write, once no writer can still be at work.
func TestKilledWriterLeavesNoSecret(t *testing.T) {
	f := newFixture(t)
	path := f.project("infra", content)
	dir := refreshPath(f.p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(dir, ".tmp-killed"), filepath.Join(dir, ".tmp-writing")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte(`{"AWS_SECRET_ACCESS_KEY":"x"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Minute)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	f.register(path, content, time.Now().Add(time.Hour), state.Env{"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "USER": "alice"})
	if _, err := os.Lstat(stale); err == nil {
		t.Error("a killed writer's temporary file is still there")
	}
	if _, err := os.Lstat(fresh); err != nil {
		t.Errorf("a temporary file a writer may still be using was removed: %v", err)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestIdleExit(t *testing.T) {
	f := newFixture(t)
	path := f.project("infra", content)
	f.register(path, content, time.Time{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Paths: f.p, Idle: 2 * time.Second, Debounce: 20 * time.Millisecond, Log: f.log, CreateLock: true})
	}()
	before := f.gen()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(patience):
		t.Fatalf("still running after %s without a prompt:\n%s", patience, f.log.String())
	}
	if Running(f.p) {
		t.Error("the lock is still held")
	}
	// Halfway, it asked every shell still in use to register again.
	if f.gen() == before || !strings.Contains(f.log.String(), "roll call") {
		t.Errorf("no roll call before exiting:\n%s", f.log.String())
	}
	if regs, _ := filepath.Glob(filepath.Join(activePath(f.p), "*.json")); len(regs) != 0 {
		t.Errorf("registrations left behind: %v", regs)
	}
}

func TestExitsWhenStateDirectoryGoes(t *testing.T) {
	f := newFixture(t)
	f.start(time.Hour)
	if err := os.RemoveAll(f.p.State); err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.done:
		f.done <- nil // for the cleanup
	case <-time.After(patience):
		t.Fatalf("still running after its lock file went:\n%s", f.log.String())
	}
	if _, err := os.Stat(f.p.State); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the state directory was created again: %v", err)
	}
}

// A FIFO where a shell's file was (a hostile checkout) must not hang the
// watcher: it goes on to watch the next registration.
func TestFIFONeverBlocks(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(f.home, "hostile")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, ".awsrole.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	f.register(fifo, "not what is there", time.Time{}, nil)
	f.start(time.Hour)
	path := f.project("infra", content)
	f.register(path, content, time.Time{}, nil)
	f.waitFor("watching the second file", func() bool { return strings.Contains(f.log.String(), "watching "+path) })
	before := f.gen()
	if err := os.WriteFile(path, []byte(content+"# edited\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.bumped(before, "an edit next to a FIFO")
}
