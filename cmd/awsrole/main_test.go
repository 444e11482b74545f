package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/awsrole/awsrole/internal/stshelper"
	"github.com/awsrole/awsrole/internal/teststs"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"awsrole":     func() { os.Exit(run(os.Args[1:])) },
		"awsrole-sts": func() { os.Exit(stshelper.Main()) },
	})
}

// Roles, users and MFA devices the test STS knows in every scenario.
const (
	deployRole = "arn:aws:iam::222222222222:role/deploy"
	auditRole  = "arn:aws:iam::333333333333:role/audit"
	mfaRole    = "arn:aws:iam::444444444444:role/admin" // requires MFA
	aliceMFA   = "arn:aws:iam::111111111111:mfa/alice"
)

type stsKey struct{}

// TestScripts runs testdata/script/*.txtar. Each scenario gets a home with
// ~/.aws/credentials holding the keys of alice (profile dev), ~/.aws/config
// with profile dev (eu-central-1), and a local STS that knows alice, the
// roles above and her MFA device (codes 123456 and 654321, reusable).
//
// Beyond testscript's own commands:
//
//	enter            act like a shell's prompt in the working directory: run the
//	                 hook's 'awsrole export bash' and apply what it exports
//	nosecret         fail if the last command's stdout or stderr holds a key,
//	                 secret or token (alice's, or any in the cache)
//	messages         fail unless every line of the last stderr starts "awsrole:"
//	sts calls ACTION N | sts fail ACTION FAULT | sts clear
//	status N -- CMD  run CMD and check its exit status is N
//	watcher start|stop  hold (or release) the watcher's lock, as a running watcher does
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup:               setupScript,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"enter":    cmdEnter,
			"nosecret": cmdNoSecret,
			"messages": cmdMessages,
			"sts":      cmdSTS,
			"status":   cmdStatus,
			"watcher":  cmdWatcher,
		},
	})
}

func setupScript(env *testscript.Env) error {
	s := teststs.New()
	if err := s.Listen("127.0.0.1:0"); err != nil {
		return err
	}
	env.Defer(func() { s.Close() })
	env.Values[stsKey{}] = s
	env.Values[watcherKey{}] = map[string]*os.File{}
	alice := s.AddUser("alice", teststs.InAccount("111111111111"))
	s.AddRole(deployRole, teststs.MaxSessionDuration(12*3600e9))
	s.AddRole(auditRole)
	s.AddRole(mfaRole, teststs.RequireMFA())
	s.AddMFA(aliceMFA, "alice", "123456", "654321")
	s.AllowMFACodeReuse(true)

	home := filepath.Join(env.WorkDir, "home")
	files := map[string]string{
		".aws/credentials": fmt.Sprintf("[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n", alice.AccessKeyID, alice.SecretAccessKey),
		".aws/config":      "[profile dev]\nregion = eu-central-1\n",
	}
	for rel, content := range files {
		p := filepath.Join(home, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			return err
		}
	}
	for k, v := range map[string]string{
		"HOME":                        home,
		"USER":                        "alice",
		"TZ":                          "UTC",
		"XDG_CONFIG_HOME":             filepath.Join(home, ".config"),
		"XDG_CACHE_HOME":              filepath.Join(home, ".cache"),
		"XDG_DATA_HOME":               filepath.Join(home, ".local/share"),
		"XDG_STATE_HOME":              filepath.Join(home, ".local/state"),
		"AWS_CONFIG_FILE":             filepath.Join(home, ".aws/config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, ".aws/credentials"),
		"AWS_ENDPOINT_URL_STS":        s.URL(),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"STS_URL":                     s.URL(),
		"ALICE_KEY":                   alice.AccessKeyID,
		"ALICE_SECRET":                alice.SecretAccessKey,
		"DEPLOY_ROLE":                 deployRole,
		"AUDIT_ROLE":                  auditRole,
		"MFA_ROLE":                    mfaRole,
		"ALICE_MFA":                   aliceMFA,
	} {
		env.Setenv(k, v)
	}
	return nil
}

func server(ts *testscript.TestScript) *teststs.Server {
	return ts.Value(stsKey{}).(*teststs.Server)
}

// cmdEnter evaluates the hook's output in bash, in the script's working
// directory and environment, and takes over the AWS variables as exported.
// Its stderr is the hook's messages.
func cmdEnter(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 0 {
		ts.Fatalf("usage: enter")
	}
	before, after := ts.MkAbs(".enter-before"), ts.MkAbs(".enter-after")
	defer os.Remove(before)
	defer os.Remove(after)
	err := ts.Exec("bash", "--noprofile", "--norc", "-c",
		`env -0 >"$1" && eval "$(awsrole export bash)" && env -0 >"$2"`, "enter", before, after)
	ts.Check(err)
	was, is := readEnv(ts, before), readEnv(ts, after)
	for k := range was {
		if _, ok := is[k]; !ok && strings.HasPrefix(k, "AWS") {
			ts.Setenv(k, "") // unset by the hook
		}
	}
	for k, v := range is {
		if strings.HasPrefix(k, "AWS") && was[k] != v {
			ts.Setenv(k, v)
		}
	}
	fmt.Fprint(ts.Stderr(), ts.ReadFile("stderr"))
}

func readEnv(ts *testscript.TestScript, file string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(ts.ReadFile(file), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && v != "" {
			m[k] = v
		}
	}
	return m
}

var asiaKey = regexp.MustCompile(`ASIA[A-Z0-9]{16}`)

// cmdNoSecret fails when the last command printed a key, secret or token.
func cmdNoSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 0 {
		ts.Fatalf("usage: nosecret")
	}
	secrets := []string{ts.Getenv("ALICE_KEY"), ts.Getenv("ALICE_SECRET")}
	cached, _ := filepath.Glob(filepath.Join(ts.Getenv("XDG_CACHE_HOME"), "awsrole", "*.json"))
	for _, f := range cached {
		var c struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		b, err := os.ReadFile(f)
		ts.Check(err)
		if json.Unmarshal(b, &c) == nil {
			secrets = append(secrets, c.AccessKeyId, c.SecretAccessKey, c.SessionToken)
		}
	}
	for _, name := range []string{"stdout", "stderr"} {
		out := ts.ReadFile(name)
		for _, s := range secrets {
			if s != "" && strings.Contains(out, s) {
				ts.Fatalf("%s holds a secret (%.4s…)", name, s)
			}
		}
		if k := asiaKey.FindString(out); k != "" {
			ts.Fatalf("%s holds a temporary access key (%.8s…)", name, k)
		}
	}
}

// cmdMessages checks that every line on stderr is one awsrole message.
func cmdMessages(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 0 {
		ts.Fatalf("usage: messages")
	}
	for _, l := range strings.Split(strings.TrimSuffix(ts.ReadFile("stderr"), "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, "awsrole: ") {
			ts.Fatalf("stderr line is not an awsrole message: %q", l)
		}
	}
}

func cmdSTS(ts *testscript.TestScript, neg bool, args []string) {
	s := server(ts)
	switch {
	case len(args) == 3 && args[0] == "calls":
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		if got := s.Calls(args[1]); (got == want) == neg {
			ts.Fatalf("STS got %d %s calls, want %s%d", got, args[1], map[bool]string{true: "not ", false: ""}[neg], want)
		}
	case len(args) == 3 && args[0] == "fail":
		for f := teststs.Fault(1); f <= teststs.ExpiredCredentials; f++ {
			if f.String() == args[2] {
				s.FailAll(args[1], f)
				return
			}
		}
		ts.Fatalf("unknown fault %q", args[2])
	case len(args) == 1 && args[0] == "clear":
		s.ClearFaults()
	default:
		ts.Fatalf("usage: sts calls ACTION N | sts fail ACTION FAULT | sts clear")
	}
}

// cmdStatus runs a command and checks its exit status.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || args[1] != "--" {
		ts.Fatalf("usage: status N -- CMD [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[2], args[3:]...)
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

type watcherKey struct{}

func cmdWatcher(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: watcher start|stop")
	}
	switch args[0] {
	case "start":
		dir := filepath.Join(ts.Getenv("XDG_STATE_HOME"), "awsrole")
		ts.Check(os.MkdirAll(dir, 0o700))
		f, err := os.OpenFile(filepath.Join(dir, "watch.lock"), os.O_RDWR|os.O_CREATE, 0o600)
		ts.Check(err)
		ts.Check(unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB))
		held := ts.Value(watcherKey{}).(map[string]*os.File)
		held[ts.Name()] = f
		ts.Defer(func() { f.Close() })
	case "stop":
		held := ts.Value(watcherKey{}).(map[string]*os.File)
		if f := held[ts.Name()]; f != nil {
			f.Close()
		}
	default:
		ts.Fatalf("usage: watcher start|stop")
	}
}
