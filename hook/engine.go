package hook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/awsrole/awsrole/hook/cache"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/creds"
	"github.com/awsrole/awsrole/hook/creds/helper"
	"github.com/awsrole/awsrole/hook/state"
	"github.com/awsrole/awsrole/hook/trust"
)

// The environment contract (DESIGN.md): while a role is active the hook owns
// these variables, and restores each on leave unless the user changed it.
var (
	credVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "AWS_SESSION_EXPIRATION"}
	regionVars = []string{"AWS_REGION", "AWS_DEFAULT_REGION"}
	// Competing sources of credentials, unset while inside. Beyond the list
	// in DESIGN.md: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (the file form of
	// the container token) and AWS_ACCOUNT_ID, which newer SDKs use for
	// account-based endpoints and which would name the wrong account.
	competingVars = []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_VAULT", "AWS_ACCOUNT_ID"}
)

// RoleVar names the active role for prompts.
const RoleVar = "AWSROLE_ROLE"

// RecheckVar is hook-private (not exported by the shells): the epoch second
// after which the shell hook must run the binary again even if nothing else
// changed; NoRecheck when time alone never needs it. Always ten digits, like
// the clock until 2286: the bash and zsh hooks compare the two as strings,
// which costs a prompt less than arithmetic, and with no special case.
const RecheckVar = "_awsrole_recheck"

// NoRecheck is the recheck time that never comes (in 2286).
const NoRecheck = "9999999999"

// MarkVar is hook-private too: the path of the generation marker the
// evaluation saw (Paths.GenMarker). The shell hook skips the binary only
// while that path exists.
const MarkVar = "_awsrole_mark"

// OwnedVars lists every variable the hook may change, for tests and doctor.
func OwnedVars() []string {
	all := append(append(append([]string{}, credVars...), regionVars...), competingVars...)
	return append(all, RoleVar, state.Var)
}

// Engine decides what a prompt changes. One Engine serves one process.
type Engine struct {
	Paths    Paths
	User     *config.User
	UserErr  error // a broken user config blocks every project: it may hold allowed_accounts
	Source   creds.Source
	Prompt   creds.MFAPrompt // nil when this process must not ask for MFA codes
	Now      time.Time
	Gen      string
	Username string // for default session names
	// Quick makes Export answer only from what is at hand: where it would
	// call STS (and perhaps ask for a code) it returns a Result with
	// WouldWait set and nothing else, so that the caller can first make
	// that wait safe to interrupt, which costs a bash hook a fork.
	Quick bool
}

// Result is what one evaluation returns: the changes for the shell, and the
// human messages (each printed as one "awsrole: …" line on stderr).
type Result struct {
	Changes  state.Changes
	Messages []string
	State    *state.State // the state after the changes; nil when none
	// Base is the environment without any awsrole role that the credentials
	// were sought from; nil when the evaluation did not get that far. The
	// watcher refreshes from it (hook/watch).
	Base state.Env
	// WouldWait says that a Quick evaluation stopped before calling STS;
	// everything else is empty.
	WouldWait bool
}

// errWouldWait is what a Quick engine's fetcher answers instead of calling.
var errWouldWait = errors.New("credentials would have to be fetched")

type wouldWait struct{}

func (wouldWait) Fetch(context.Context, creds.Request) (creds.Credentials, error) {
	return creds.Credentials{}, errWouldWait
}

// newFetcher is how an Engine calls STS on a cache miss: through the STS
// helper process, so that this binary does not link the AWS SDK. Tests of
// this package fetch in process instead.
var newFetcher = func(c cache.Cache, u *config.User) creds.Fetcher {
	return helper.Client{CacheDir: c.Dir, MFAProcess: u.MFAProcess}
}

// NewEngine builds an Engine from the user's paths and config.
func NewEngine(p Paths) *Engine {
	e := &Engine{Paths: p, Now: time.Now(), Gen: ReadGen(p), Source: creds.Source{}}
	e.Source.Cache.Dir = p.Cache
	e.User, e.UserErr = config.LoadUser(p.UserConfig())
	if e.User == nil {
		e.User, _ = config.LoadUser("")
	}
	e.Source.Fetcher = newFetcher(e.Source.Cache, e.User)
	if u := os.Getenv("USER"); u != "" {
		e.Username = u
	} else {
		e.Username = strconv.Itoa(os.Getuid())
	}
	return e
}

func (e *Engine) sealer() state.Sealer { return state.Sealer{KeyFile: e.Paths.KeyFile()} }

// Export evaluates the environment of a shell whose working directory is pwd.
func (e *Engine) Export(ctx context.Context, env state.Env, pwd string) Result {
	cur, err := state.Decode(env[state.Var])
	if err != nil {
		return e.scrubCorrupt(env)
	}
	path, err := config.Find(pwd)
	if err != nil {
		// Whether a file governs this directory cannot be known (a parent
		// that cannot be searched): fail closed, as for a file that is bad.
		path = filepath.Join(pwd, config.FileName)
		if cur != nil && cur.File == path && cur.Gen == e.Gen && cur.Blocked != "" {
			return e.result(env, env, cur, nil)
		}
		base, msgs := e.restore(env, cur)
		r := e.block(env, base, path, fmt.Sprintf("cannot look for %s from %s: %v; AWS credentials are cleared here", config.FileName, pwd, err))
		r.Messages = append(msgs, quietIfSaid(cur, r)...)
		return r
	}
	if cur == nil && path == "" {
		return e.result(env, env, nil, nil)
	}
	refresh := false
	if cur != nil && path == cur.File && cur.Gen == e.Gen && FileDigest(path) == cur.Digest {
		switch {
		case cur.Blocked != "":
			return e.result(env, env, cur, nil) // said once already; quiet until something changes
		case cur.RefreshAt.IsZero() || e.Now.Before(cur.RefreshAt):
			return e.result(env, env, cur, nil)
		}
		refresh = true
	}
	base, msgs := e.restore(env, cur)
	if path == "" {
		return e.result(env, base, nil, append(msgs, "unloaded"))
	}
	r := e.enter(ctx, env, base, cur, path, refresh)
	if r.WouldWait {
		return r
	}
	r.Messages = append(msgs, quietIfSaid(cur, r)...)
	r.Base = base
	return r
}

// quietIfSaid returns r's messages, or none when r blocks the same file for
// the same reason as cur did: a new generation (another project allowed, a
// login, the watcher's roll call) evaluates a blocked directory again, and
// the shell has said why it is blocked already.
func quietIfSaid(cur *state.State, r Result) []string {
	if cur != nil && r.State != nil && cur.Blocked != "" && r.State.Blocked == cur.Blocked &&
		r.State.File == cur.File && r.State.Digest == cur.Digest {
		return nil
	}
	return r.Messages
}

// restore returns the environment as it was before the hook touched it,
// keeping every variable the user changed by hand since.
func (e *Engine) restore(env state.Env, cur *state.State) (state.Env, []string) {
	base := copyEnv(env)
	delete(base, state.Var)
	delete(base, RoleVar)
	if cur == nil {
		return base, nil
	}
	var msgs []string
	saved, err := e.sealer().Open(cur.Saved)
	if err != nil {
		msgs = append(msgs, fmt.Sprintf("could not restore the AWS variables you had before (%v); they are unset", err))
		saved = map[string]*string{}
	}
	for name, fp := range cur.Set {
		v, present := env[name]
		ours := (fp == "" && !present) || (present && fp != "" && state.Fingerprint(v) == fp)
		if !ours {
			continue
		}
		if old := saved[name]; old != nil {
			base[name] = *old
		} else {
			delete(base, name)
		}
	}
	return base, msgs
}

// enter computes the environment inside the project of path, starting from
// base, the environment without any awsrole role.
func (e *Engine) enter(ctx context.Context, env, base state.Env, cur *state.State, path string, refresh bool) Result {
	f, err := e.admit(path)
	if err != nil {
		return e.block(env, base, path, err.Error())
	}
	src := e.Source
	if e.Quick {
		src.Fetcher = wouldWait{}
	}
	c, err := src.Get(ctx, e.request(f, base, false))
	if errors.Is(err, errWouldWait) {
		return Result{WouldWait: true}
	}
	if err != nil {
		if refresh && cur.Active() && e.Now.Before(cur.Expires) {
			return e.keep(env, cur, fmt.Sprintf("could not refresh %s: %s; the current credentials last until %s", cur.Role, explain(err, f, e.User, true), clock(cur.Expires)))
		}
		return e.block(env, base, path, fmt.Sprintf("%s: %s", path, explain(err, f, e.User, true)))
	}
	return e.activate(env, base, cur, f, c)
}

// admit loads the file at path and checks everything that decides whether
// it may be used at all: its validity, the user config, trust, the account.
func (e *Engine) admit(path string) (*config.File, error) {
	f, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%s; AWS credentials are cleared until it is fixed", err)
	}
	if e.UserErr != nil {
		return nil, fmt.Errorf("%s; fix it to use any %s", e.UserErr, config.FileName)
	}
	switch st, err := (trust.Store{Dir: e.Paths.Data}).Check(path, f.Content); {
	case err != nil:
		return nil, fmt.Errorf("%s cannot be checked against the trust store: %v", path, err)
	case st == trust.Denied:
		return nil, fmt.Errorf("%s is denied; run 'awsrole allow' to trust it", path)
	case st == trust.Changed:
		return nil, fmt.Errorf("%s changed since it was allowed; run 'awsrole allow' to trust it", path)
	case st != trust.Allowed:
		return nil, fmt.Errorf("%s is not allowed; run 'awsrole allow' to trust it", path)
	}
	// With allowed_accounts set, a file whose account cannot be known before
	// calling (a profile, a hardware MFA serial) is refused rather than trusted.
	switch acct := f.AccountID(); {
	case acct == "" && !e.User.AccountAllowed(""):
		return nil, fmt.Errorf("%s does not name its account, and allowed_accounts in %s is set; use role_arn", path, e.Paths.UserConfig())
	case acct != "" && !e.User.AccountAllowed(acct):
		return nil, fmt.Errorf("%s names account %s, which allowed_accounts in %s does not list", path, acct, e.Paths.UserConfig())
	}
	return f, nil
}

// Logout forgets the cached credentials (and MFA session) of the file at
// path. Shells keep what they exported until it expires.
func (e *Engine) Logout(env state.Env, path string) error {
	f, err := config.Load(path)
	if err != nil {
		return err
	}
	base, _ := e.restore(env, e.currentOrNil(env))
	return e.Source.Forget(e.request(f, base, false))
}

// Login gets fresh credentials for the file at path now, asking for an MFA
// code if one is needed, and leaves them in the cache for every shell.
func (e *Engine) Login(ctx context.Context, env state.Env, path string) (role string, expires time.Time, err error) {
	base, _ := e.restore(env, e.currentOrNil(env))
	f, err := e.admit(path)
	if err != nil {
		return "", time.Time{}, err
	}
	c, err := e.Source.Get(ctx, e.request(f, base, true))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%s: %s", path, explain(err, f, e.User, false))
	}
	return roleName(f), c.Expires, nil
}

func (e *Engine) request(f *config.File, base state.Env, fresh bool) creds.Request {
	name := f.SessionName
	if name == "" {
		name = config.DefaultSessionName(e.Username, f.Dir)
	}
	return creds.Request{File: f, Env: base, SessionName: name, Margin: e.User.RefreshMargin,
		MFASession: e.User.MFASessionDuration, Timeout: e.User.STSTimeout, Prompt: e.Prompt, Now: e.Now, Fresh: fresh}
}

// explain turns a credentials error into words; at a prompt (retry true) it
// ends with what to run.
func explain(err error, f *config.File, u *config.User, retry bool) string {
	var msg string
	switch {
	case errors.Is(err, creds.ErrNeedMFA):
		if retry {
			return fmt.Sprintf("needs an MFA code for %s; run 'awsrole login' to enter it", f.MFASerial)
		}
		return fmt.Sprintf("needs an MFA code for %s and there is no terminal to ask on; set mfa_process in %s", f.MFASerial, "the user config")
	case errors.Is(err, context.Canceled):
		msg = "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("STS did not answer within %s", u.STSTimeout)
		var te creds.TimeoutError
		if errors.As(err, &te) {
			msg += "; the last attempt: " + te.Last
		}
	default:
		msg = err.Error()
	}
	if retry {
		msg += "; run 'awsrole login' to try again"
	}
	return msg
}

// activate exports c for f on top of base.
func (e *Engine) activate(env, base state.Env, cur *state.State, f *config.File, c creds.Credentials) Result {
	want := contract(f, c)
	st := &state.State{File: f.Path, Dir: f.Dir, Digest: config.Digest(f.Content), Gen: e.Gen,
		Role: roleName(f), Region: f.Region, Expires: c.Expires}
	if !c.Expires.IsZero() {
		st.RefreshAt = c.Expires.Add(-e.User.RefreshMargin)
		// A refresh that brought back the same credentials (an SSO session
		// nearing its end) would otherwise be retried at every prompt.
		if !st.RefreshAt.After(e.Now) && cur.Active() && cur.Expires.Equal(c.Expires) {
			st.RefreshAt = e.Now.Add(time.Minute)
			if st.RefreshAt.After(c.Expires) {
				st.RefreshAt = c.Expires
			}
		}
	}
	target, err := e.seal(base, want, st)
	if err != nil {
		return e.block(env, base, f.Path, err.Error())
	}
	role := st.Role
	target[RoleVar] = role
	var msg string
	switch {
	case cur.Active() && cur.File == st.File && cur.Role == st.Role && cur.Expires.Equal(st.Expires):
	case cur.Active() && cur.File == st.File && cur.Role == st.Role:
		msg = fmt.Sprintf("refreshed %s until %s", role, clock(c.Expires))
	case c.Expires.IsZero():
		msg = fmt.Sprintf("using %s%s", role, inRegion(f))
	default:
		msg = fmt.Sprintf("assumed %s%s until %s", role, inRegion(f), clock(c.Expires))
	}
	var msgs []string
	if msg != "" {
		msgs = []string{msg}
	}
	return e.result(env, target, st, msgs)
}

// contract is the environment contract of DESIGN.md for credentials c of
// file f: every owned variable, set or (nil) unset.
func contract(f *config.File, c creds.Credentials) map[string]*string {
	want := map[string]*string{}
	for _, n := range competingVars {
		want[n] = nil
	}
	want["AWS_ACCESS_KEY_ID"] = &c.AccessKeyID
	want["AWS_SECRET_ACCESS_KEY"] = &c.SecretAccessKey
	// Key, secret and token travel together; AWS_SECURITY_TOKEN is the same
	// token or nothing, so a stale one can never win (botocore reads it first).
	want["AWS_SESSION_TOKEN"], want["AWS_SECURITY_TOKEN"] = optional(c.SessionToken), optional(c.SessionToken)
	want["AWS_CREDENTIAL_EXPIRATION"], want["AWS_SESSION_EXPIRATION"] = nil, nil
	if !c.Expires.IsZero() {
		exp := c.Expires.UTC().Format(time.RFC3339)
		want["AWS_CREDENTIAL_EXPIRATION"], want["AWS_SESSION_EXPIRATION"] = &exp, &exp
	}
	if f.Region != "" {
		want["AWS_REGION"], want["AWS_DEFAULT_REGION"] = &f.Region, &f.Region
	}
	return want
}

// block fails closed: in a directory whose role cannot be had, no AWS
// credentials at all are exported, not A's and not the user's own, so no
// command here runs as the wrong identity. Leaving restores them.
func (e *Engine) block(env, base state.Env, path, why string) Result {
	want := map[string]*string{}
	for _, n := range append(append([]string{}, credVars...), competingVars...) {
		want[n] = nil
	}
	st := &state.State{File: path, Dir: dirOf(path), Digest: FileDigest(path), Gen: e.Gen, Blocked: why}
	target, err := e.seal(base, want, st)
	if err != nil {
		// Without a sealed copy the user's values could not come back on
		// leave; clearing them anyway is still the closed side to fail on.
		target = copyEnv(base)
		for n := range want {
			delete(target, n)
		}
		delete(target, state.Var)
		why += fmt.Sprintf(" (and %v)", err)
	}
	return e.result(env, target, st, []string{why})
}

// keep leaves the exported credentials as they are, retrying a failed
// refresh in a minute, or at expiry if that comes first.
func (e *Engine) keep(env state.Env, cur *state.State, why string) Result {
	next := *cur
	next.RefreshAt = e.Now.Add(time.Minute)
	if next.RefreshAt.After(cur.Expires) {
		next.RefreshAt = cur.Expires
	}
	target := copyEnv(env)
	v, err := state.Encode(&next)
	if err == nil {
		target[state.Var] = v
	}
	return e.result(env, target, &next, []string{why})
}

// seal applies want on top of base and records in st what was set and what
// base held, then exports st.
func (e *Engine) seal(base state.Env, want map[string]*string, st *state.State) (state.Env, error) {
	target := copyEnv(base)
	saved := map[string]*string{}
	st.Set = map[string]string{}
	for name, v := range want {
		if old, ok := base[name]; ok {
			saved[name] = &old
		}
		if v == nil {
			delete(target, name)
			st.Set[name] = ""
		} else {
			target[name] = *v
			st.Set[name] = state.Fingerprint(*v)
		}
	}
	sealed, err := e.sealer().Seal(saved)
	if err != nil {
		return nil, fmt.Errorf("cannot keep your previous AWS variables safe: %v", err)
	}
	st.Saved = sealed
	enc, err := state.Encode(st)
	if err != nil {
		return nil, err
	}
	target[state.Var] = enc
	return target, nil
}

// scrubCorrupt handles an AWSROLE_STATE that cannot be read: nothing can be
// restored, so every credential variable goes.
func (e *Engine) scrubCorrupt(env state.Env) Result {
	target := copyEnv(env)
	for _, n := range OwnedVars() {
		if n != "AWS_REGION" && n != "AWS_DEFAULT_REGION" {
			delete(target, n)
		}
	}
	return e.result(env, target, nil, []string{"AWSROLE_STATE was damaged; AWS credential variables are cleared (open a new shell to get your own back)"})
}

func (e *Engine) result(env, target state.Env, st *state.State, msgs []string) Result {
	ch := state.Diff(env, target, OwnedVars())
	recheck := NoRecheck
	if st != nil && st.Blocked == "" && !st.RefreshAt.IsZero() {
		recheck = strconv.FormatInt(st.RefreshAt.Unix(), 10)
		if len(recheck) != 10 {
			recheck = "1000000000" // past: check at every prompt
		}
	}
	ch[RecheckVar] = &recheck
	mark := e.Paths.GenMarker(e.Gen)
	ch[MarkVar] = &mark
	return Result{Changes: ch, Messages: msgs, State: st}
}

func roleName(f *config.File) string {
	switch f.Mode() {
	case config.ModeProfile:
		return "profile " + f.Profile
	case config.ModeSessionToken:
		return f.MFASerial
	}
	return f.RoleARN
}

func inRegion(f *config.File) string {
	if f.Region == "" {
		return ""
	}
	return " (" + f.Region + ")"
}

// clock formats an expiry for messages, in local time with its zone.
func clock(t time.Time) string { return t.Local().Format("15:04 MST") }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func copyEnv(env state.Env) state.Env {
	c := make(state.Env, len(env))
	for k, v := range env {
		c[k] = v
	}
	return c
}

// FileDigest identifies what is at path now without judging it: the content
// digest of a small regular file, otherwise a description of what is there,
// so a blocked state stays quiet until the file really changes. It never
// follows a symlink nor blocks on a FIFO.
func FileDigest(path string) string {
	fi, err := os.Lstat(path)
	if err != nil {
		return "missing"
	}
	if !fi.Mode().IsRegular() || fi.Size() > 1<<20 {
		return fmt.Sprintf("%v:%d:%d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return "unreadable:" + fi.Mode().String()
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return "unreadable"
	}
	return config.Digest(b)
}

func dirOf(path string) string {
	for i := len(path) - 1; i > 0; i-- {
		if path[i] == '/' {
			return path[:i]
		}
	}
	return "/"
}
