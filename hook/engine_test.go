package hook

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/awsrole/awsrole/hook/state"
	"github.com/awsrole/awsrole/hook/trust"
	"github.com/awsrole/awsrole/internal/teststs"
)

// engineWorld is an Engine on temporary paths, a test STS knowing alice's
// long-term keys, and the user's environment holding those keys directly.
type engineWorld struct {
	t     *testing.T
	sts   *teststs.Server
	paths Paths
	alice teststs.Credentials
	env   state.Env
	home  string
}

func newEngineWorld(t *testing.T, opts ...teststs.Option) *engineWorld {
	home := t.TempDir()
	w := &engineWorld{t: t, sts: teststs.Start(t, opts...), home: home, paths: Paths{
		Config: filepath.Join(home, "config"), Data: filepath.Join(home, "data"),
		Cache: filepath.Join(home, "cache"), State: filepath.Join(home, "state")}}
	w.alice = w.sts.AddUser("alice", teststs.InAccount("111111111111"))
	w.sts.AddRole("arn:aws:iam::222222222222:role/a")
	w.sts.AddRole("arn:aws:iam::333333333333:role/b")
	w.env = state.Env{
		"AWS_ACCESS_KEY_ID": w.alice.AccessKeyID, "AWS_SECRET_ACCESS_KEY": w.alice.SecretAccessKey,
		"AWS_SECURITY_TOKEN": "stale", "AWS_ENDPOINT_URL_STS": w.sts.URL(),
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
	}
	// The in-process sts.Fetcher replaces the process environment with the shell's.
	saved := os.Environ()
	t.Cleanup(func() {
		os.Clearenv()
		for _, kv := range saved {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
	})
	return w
}

func (w *engineWorld) project(name, role string) string {
	dir := filepath.Join(w.home, name)
	path := filepath.Join(dir, ".awsrole.toml")
	content := []byte("role_arn = \"" + role + "\"\nregion = \"eu-west-1\"\n")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o600); err != nil {
		w.t.Fatal(err)
	}
	if err := (trust.Store{Dir: w.paths.Data}).Allow(path, content); err != nil {
		w.t.Fatal(err)
	}
	return dir
}

// prompt runs one evaluation at dir and applies its changes to w.env.
func (w *engineWorld) prompt(dir string) Result {
	e := NewEngine(w.paths)
	r := e.Export(context.Background(), w.env, dir)
	for n, v := range r.Changes {
		if strings.HasPrefix(n, "_awsrole_") {
			continue
		}
		if v == nil {
			delete(w.env, n)
		} else {
			w.env[n] = *v
		}
	}
	return r
}

func TestStateNeverCarriesASecret(t *testing.T) {
	w := newEngineWorld(t)
	a := w.project("a", "arn:aws:iam::222222222222:role/a")
	r := w.prompt(a)
	if !strings.HasPrefix(w.env["AWS_ACCESS_KEY_ID"], "ASIA") {
		t.Fatalf("no role credentials: %v", r.Messages)
	}
	raw := w.env[state.Var]
	st, err := state.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	decoded, _ := state.Encode(st) // the JSON inside, re-encoded: compare both forms
	for _, secret := range []string{w.env["AWS_SECRET_ACCESS_KEY"], w.env["AWS_SESSION_TOKEN"], w.alice.SecretAccessKey, w.alice.AccessKeyID, w.env["AWS_ACCESS_KEY_ID"]} {
		for _, form := range []string{raw, decoded, st.Saved, strings.Join(r.Messages, "\n")} {
			if strings.Contains(form, secret) {
				t.Fatalf("a credential (%.4s…) is readable in the state or a message", secret)
			}
		}
	}
	// And the sealed values do restore alice's own keys on leave.
	w.prompt(w.home)
	if w.env["AWS_SECRET_ACCESS_KEY"] != w.alice.SecretAccessKey || w.env["AWS_SECURITY_TOKEN"] != "stale" {
		t.Fatal("leaving did not restore the user's own credentials")
	}
	if _, ok := w.env[state.Var]; ok {
		t.Fatal("AWSROLE_STATE survived leaving")
	}
}

func TestSwitchAssumesFromTheUsersOwnIdentity(t *testing.T) {
	w := newEngineWorld(t)
	a := w.project("a", "arn:aws:iam::222222222222:role/a")
	b := w.project("b", "arn:aws:iam::333333333333:role/b")
	w.prompt(a)
	w.prompt(b)
	reqs := w.sts.Requests()
	if len(reqs) != 2 || reqs[1].RoleArn != "arn:aws:iam::333333333333:role/b" || reqs[1].AccessKeyID != w.alice.AccessKeyID {
		t.Fatalf("B was not assumed with alice's key: %+v", reqs)
	}
	if w.env["AWSROLE_ROLE"] != "arn:aws:iam::333333333333:role/b" {
		t.Fatalf("AWSROLE_ROLE = %q", w.env["AWSROLE_ROLE"])
	}
}

func TestUnchangedPromptDoesNothing(t *testing.T) {
	w := newEngineWorld(t)
	a := w.project("a", "arn:aws:iam::222222222222:role/a")
	w.prompt(a)
	r := w.prompt(filepath.Join(a))
	for n := range r.Changes {
		if n != RecheckVar && n != MarkVar { // the hook's own, always set
			t.Errorf("an unchanged prompt changed %s", n)
		}
	}
	if len(r.Messages) != 0 {
		t.Errorf("an unchanged prompt said %q", r.Messages)
	}
	// The marker the shell will test from now on must be there.
	if m := r.Changes[MarkVar]; m == nil || *m == "" {
		t.Error("no generation marker for the shell")
	} else if _, err := os.Stat(*m); err != nil {
		t.Errorf("the generation marker given to the shell: %v", err)
	}
	if n := w.sts.Calls("AssumeRole"); n != 1 {
		t.Errorf("%d STS calls", n)
	}
}

// TestRecheckTimeIsTenDigits: the shells compare the recheck time with the
// clock as strings, so it is always ten digits: the refresh time inside a
// project, NoRecheck outside any.
func TestRecheckTimeIsTenDigits(t *testing.T) {
	w := newEngineWorld(t)
	a := w.project("a", "arn:aws:iam::222222222222:role/a")
	inside := w.prompt(a)
	st, err := state.Decode(w.env[state.Var])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *inside.Changes[RecheckVar], strconv.FormatInt(st.RefreshAt.Unix(), 10); got != want || len(got) != 10 {
		t.Errorf("inside a project the recheck time is %q, want the refresh time %q", got, want)
	}
	if got := *w.prompt(w.home).Changes[RecheckVar]; got != NoRecheck || len(got) != 10 {
		t.Errorf("outside any project the recheck time is %q, want %s", got, NoRecheck)
	}
}

// TestBlockedIsSaidOnce: a new generation evaluates a blocked directory
// again (the watcher's roll call bumps it every half idle time); the same
// reason is not said again, while a change to the file is, and the directory
// stays without credentials throughout.
func TestBlockedIsSaidOnce(t *testing.T) {
	w := newEngineWorld(t)
	a := w.project("a", "arn:aws:iam::222222222222:role/a")
	path := filepath.Join(a, ".awsrole.toml")
	if err := (trust.Store{Dir: w.paths.Data}).Deny(path); err != nil {
		t.Fatal(err)
	}
	if r := w.prompt(a); len(r.Messages) != 1 || !strings.Contains(r.Messages[0], "is denied") {
		t.Fatalf("entering a denied project said %q", r.Messages)
	}
	if err := BumpGen(w.paths); err != nil {
		t.Fatal(err)
	}
	if r := w.prompt(a); len(r.Messages) != 0 {
		t.Errorf("a new generation repeated %q", r.Messages)
	}
	if _, ok := w.env["AWS_ACCESS_KEY_ID"]; ok {
		t.Error("the blocked directory has credentials after a new generation")
	}
	if err := os.WriteFile(path, []byte("role_arn = \"arn:aws:iam::222222222222:role/b\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := w.prompt(a); len(r.Messages) != 1 || !strings.Contains(r.Messages[0], "is denied") {
		t.Errorf("an edit to the blocked file said %q", r.Messages)
	}
}

func TestRefreshFailureKeepsValidCredentialsUntilExpiry(t *testing.T) {
	w := newEngineWorld(t)
	a := w.project("a", "arn:aws:iam::222222222222:role/a")
	w.prompt(a)
	key := w.env["AWS_ACCESS_KEY_ID"]
	st, _ := state.Decode(w.env[state.Var])
	w.sts.FailAll("AssumeRole", teststs.AccessDenied)

	e := NewEngine(w.paths)
	e.Now = st.RefreshAt.Add(time.Second) // due for refresh, not yet expired
	r := e.Export(context.Background(), w.env, a)
	if len(r.Messages) != 1 || !strings.Contains(r.Messages[0], "could not refresh") {
		t.Fatalf("messages %q", r.Messages)
	}
	if _, changed := r.Changes["AWS_ACCESS_KEY_ID"]; changed {
		t.Fatal("valid credentials were dropped on a failed refresh")
	}

	e = NewEngine(w.paths)
	e.Now = st.Expires.Add(time.Second) // expired: nothing may stay exported
	r = e.Export(context.Background(), w.env, a)
	if v, changed := r.Changes["AWS_ACCESS_KEY_ID"]; !changed || v != nil {
		t.Fatalf("expired credentials (%s) stayed exported: %v", key[:4], r.Messages)
	}
}

// When it cannot be known whether a file governs the directory, the engine
// fails closed: nothing exported, one message, quiet at the next prompt, and
// leaving still restores the user's own variables.
func TestUnsearchableDirectoryFailsClosed(t *testing.T) {
	w := newEngineWorld(t)
	// config.Find refuses a directory that is not absolute; as root, a
	// permission error cannot be provoked, and this is the same path.
	r := w.prompt("not/absolute")
	if len(r.Messages) != 1 || !strings.Contains(r.Messages[0], "cannot look for .awsrole.toml from not/absolute") {
		t.Fatalf("messages %q", r.Messages)
	}
	if _, ok := w.env["AWS_ACCESS_KEY_ID"]; ok {
		t.Fatal("the user's own key stayed exported where it cannot be known what governs the directory")
	}
	if r := w.prompt("not/absolute"); len(r.Messages) != 0 {
		t.Fatalf("the next prompt repeated %q", r.Messages)
	}
	w.prompt(w.home)
	if w.env["AWS_ACCESS_KEY_ID"] != w.alice.AccessKeyID || w.env["AWS_SECURITY_TOKEN"] != "stale" {
		t.Fatal("leaving did not restore the user's own variables")
	}
}

// A deadline that passes while the SDK retries names what the attempts got,
// not only the timeout: "connection refused" or a 5xx is what to act on.
func TestTimeoutNamesTheLastAttempt(t *testing.T) {
	// Each attempt is held 400 ms and answered 503; the timeout is 1 s, so
	// the deadline passes after at least one failed attempt.
	w := newEngineWorld(t, teststs.WithStallLimit(400*time.Millisecond))
	if err := os.MkdirAll(w.paths.Config, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.paths.UserConfig(), []byte("sts_timeout = \"1s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := w.project("a", "arn:aws:iam::222222222222:role/a")
	w.sts.FailAll("AssumeRole", teststs.Stall)
	r := w.prompt(a)
	want := "STS did not answer within 1s; the last attempt: ServiceUnavailable"
	if len(r.Messages) != 1 || !strings.Contains(r.Messages[0], want) {
		t.Fatalf("messages %q, want one saying %q", r.Messages, want)
	}
	if _, ok := w.env["AWS_ACCESS_KEY_ID"]; ok {
		t.Fatal("credentials exported after a timeout")
	}
}

// A Quick evaluation answers from the cache or stops before STS, changing
// nothing, so that the bash hook can run it without guarding Ctrl-C.
func TestQuickStopsBeforeSTS(t *testing.T) {
	w := newEngineWorld(t)
	a := w.project("a", "arn:aws:iam::222222222222:role/a")
	b := w.project("b", "arn:aws:iam::333333333333:role/b")
	quick := func(dir string) Result {
		e := NewEngine(w.paths)
		e.Quick = true
		return e.Export(context.Background(), w.env, dir)
	}
	if r := quick(a); !r.WouldWait || len(r.Changes) != 0 || len(r.Messages) != 0 {
		t.Fatalf("a cache miss: %+v", r)
	}
	if n := w.sts.Calls("AssumeRole"); n != 0 {
		t.Fatalf("a quick evaluation called STS %d times", n)
	}
	w.prompt(a) // fetches and caches a
	w.prompt(b)
	r := quick(a)
	if r.WouldWait || r.Changes["AWSROLE_ROLE"] == nil || *r.Changes["AWSROLE_ROLE"] != "arn:aws:iam::222222222222:role/a" {
		t.Fatalf("a cache hit: %+v", r)
	}
	if n := w.sts.Calls("AssumeRole"); n != 2 {
		t.Errorf("%d STS calls, want 2", n)
	}
}
