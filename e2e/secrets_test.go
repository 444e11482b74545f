package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/awsrole/awsrole/internal/teststs"
)

// procSnapshot is what /proc shows of one process.
type procSnapshot struct {
	pid      int
	exe      string
	cmdline  []byte
	environ  []byte
	isAwsrol bool
}

// snapshotProcs reads the command line of every process, and the environment
// of every process running the awsrole binary under test (the export hook,
// status, doctor, a watcher: whatever exists).
func snapshotProcs() []procSnapshot {
	ents, _ := os.ReadDir("/proc")
	var out []procSnapshot
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue
		}
		exe, _ := os.Readlink(filepath.Join(dir, "exe"))
		p := procSnapshot{pid: pid, exe: exe, cmdline: cmdline}
		if exe == awsroleBin || strings.TrimSuffix(exe, " (deleted)") == awsroleBin {
			p.isAwsrol = true
			p.environ, _ = os.ReadFile(filepath.Join(dir, "environ"))
		}
		out = append(out, p)
	}
	return out
}

// secret is a value that must appear only where it belongs.
type secret struct{ what, value string }

// TestNoSecretLeaks runs the whole life of a role (MFA session via
// mfa_process, AssumeRole, status, doctor when it exists, leave) and then
// greps for every secret everywhere it can see: the argv of every process on
// the machine while awsrole talked to STS and at the end, the environment of
// every awsrole process, every message printed, the output of status and
// doctor, AWSROLE_STATE (raw and decoded), and every file under the home
// directory (TMPDIR points there too) except the 0600 cache entries, the
// user's own ~/.aws/credentials and, for the user's own key only, the
// watcher's 0600 copy of the pre-role environment.
//
// Secrets: the user's long-term secret key (it reaches awsrole only through
// ~/.aws/credentials), the MFA session's secret and token (awsrole's private
// intermediate: never exported, only cached), and the role's secret and token
// (exported into the project's shell by design, and nowhere else).
//
// Two sources: the user's key in ~/.aws/credentials (AWS_PROFILE), and the
// user's key exported in the shell. In the second the key is legitimately in
// the environment of what the shell starts outside the project, and sealed in
// AWSROLE_STATE inside it; it must still be in no file, no message, no argv,
// and not in the environment of the background watcher (which is started
// with a minimal environment because it outlives the project).
func TestNoSecretLeaks(t *testing.T) {
	for _, source := range []string{"profile", "environment"} {
		t.Run(source, func(t *testing.T) {
			t.Parallel()
			testNoSecretLeaks(t, source == "environment")
		})
	}
}

func testNoSecretLeaks(t *testing.T, keyInEnv bool) {
	var mu sync.Mutex
	var snaps []procSnapshot
	w := newWorld(t, teststs.WithRequestHook(func(teststs.Request) {
		// The STS client is waiting for this answer: the awsrole process
		// that asked is alive while we look.
		s := snapshotProcs()
		mu.Lock()
		snaps = append(snaps, s...)
		mu.Unlock()
	}))
	w.sts.AddMFA(mfaSerial, "alice", codeFirst)
	w.sts.AddRole(mfaDeploy, teststs.RequireMFA())
	tmp := filepath.Join(w.home, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	w.env = append(w.env, "TMPDIR="+tmp)
	if keyInEnv {
		var env []string
		for _, kv := range w.env {
			if !strings.HasPrefix(kv, "AWS_PROFILE=") {
				env = append(env, kv)
			}
		}
		w.env = append(env, "AWS_ACCESS_KEY_ID="+w.alice.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+w.alice.SecretAccessKey)
	}
	w.write(".config/awsrole/config.toml", fmt.Sprintf("mfa_process = \"echo %s\"\n", codeFirst))
	dir := w.project("secret-project", fmt.Sprintf("role_arn = %q\nmfa_serial = %q\nregion = \"ap-east-1\"\n", mfaDeploy, mfaSerial))
	if out, err := w.awsrole(dir, "allow"); err != nil {
		t.Fatalf("allow: %v\n%s", err, out)
	}

	var printed strings.Builder
	s := w.shell("bash")
	printed.WriteString(s.StartupOutput())
	run := func(line string) string {
		out := s.Run(line)
		printed.WriteString(out)
		return out
	}
	wantOutput(t, run("cd secret-project"), "awsrole: assumed "+mfaDeploy)
	inside := s.Env()
	assertRole(t, inside, mfaDeploy, "ap-east-1")
	bin := s.Quote(awsroleBin)
	statusOut := run(bin + " status")
	wantOutput(t, statusOut, mfaDeploy)
	var doctorOut string
	if hasCommand(t, w, "doctor") {
		doctorOut = run(bin + " doctor")
		printed.WriteString(doctorOut)
	} else {
		t.Log("no doctor command yet; its output is checked once it exists")
	}
	run(bin + " export bash >/dev/null") // by hand inside: messages only
	state := inside["AWSROLE_STATE"]
	mu.Lock()
	snaps = append(snaps, snapshotProcs()...) // a watcher, if one runs now
	mu.Unlock()
	wantOutput(t, run("cd ~"), "awsrole: unloaded")
	mu.Lock()
	snaps = append(snaps, snapshotProcs()...)
	mu.Unlock()

	// The secrets, from where they legitimately are.
	secrets := []secret{{"the user's long-term secret key", w.alice.SecretAccessKey}}
	for _, e := range cacheEntries(t, w) {
		var c struct{ SecretAccessKey, SessionToken string }
		b, err := os.ReadFile(e)
		if err != nil || json.Unmarshal(b, &c) != nil || c.SecretAccessKey == "" {
			t.Fatalf("cache entry %s unreadable: %v", e, err)
		}
		kind := strings.SplitN(filepath.Base(e), "-", 2)[0]
		secrets = append(secrets, secret{kind + " secret key (cached)", c.SecretAccessKey}, secret{kind + " session token (cached)", c.SessionToken})
	}
	secrets = append(secrets, secret{"the role's secret key", inside["AWS_SECRET_ACCESS_KEY"]}, secret{"the role's session token", inside["AWS_SESSION_TOKEN"]})
	if len(secrets) < 7 {
		t.Fatalf("want the MFA session and the role in the cache; have %d secrets", len(secrets))
	}
	for _, sc := range secrets {
		if len(sc.value) < 16 {
			t.Fatalf("%s is %q: too short to grep for", sc.what, sc.value)
		}
	}
	leak := func(where string, data []byte, allowed ...string) {
		t.Helper()
		for _, sc := range secrets {
			if sc.value == "" || slices.Contains(allowed, sc.value) {
				continue
			}
			if bytes.Contains(data, []byte(sc.value)) {
				t.Errorf("%s appears in %s", sc.what, where)
			}
		}
	}

	// Messages, status and doctor output: nothing secret at all.
	leak("what the shell printed", []byte(printed.String()))
	leak("awsrole status output", []byte(statusOut))
	leak("awsrole doctor output", []byte(doctorOut))

	// The state variable, as is and decoded.
	if state == "" {
		t.Fatal("no AWSROLE_STATE inside the project")
	}
	leak("AWSROLE_STATE", []byte(state))
	decoded, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil {
		decoded, err = base64.URLEncoding.DecodeString(state)
	}
	if err != nil {
		t.Errorf("AWSROLE_STATE is not base64url (%v); grep it decoded some other way", err)
	}
	leak("AWSROLE_STATE decoded", decoded)

	// Processes: argv of every process; the environment of awsrole's own.
	mu.Lock()
	defer mu.Unlock()
	awsrolesSeen := 0
	for _, p := range snaps {
		leak(fmt.Sprintf("the argv of pid %d (%s: %q)", p.pid, p.exe, clipBytes(p.cmdline)), p.cmdline)
		if p.isAwsrol {
			awsrolesSeen++
			// Started from the project's shell, awsrole inherits the role's
			// variables, and with keyInEnv the user's key from outside; the
			// intermediates never. The watcher inherits nothing.
			allowed := []string{inside["AWS_SECRET_ACCESS_KEY"], inside["AWS_SESSION_TOKEN"]}
			if keyInEnv {
				allowed = append(allowed, w.alice.SecretAccessKey)
			}
			if isWatcher(p.cmdline) {
				allowed = nil
			}
			leak(fmt.Sprintf("the environment of awsrole pid %d (%q)", p.pid, clipBytes(p.cmdline)), p.environ, allowed...)
		}
	}
	if awsrolesSeen == 0 {
		t.Fatalf("never saw an awsrole process in /proc (%d snapshots); the argv check proved nothing", len(snaps))
	}

	// Files: nothing but the cache entries and the user's own credentials.
	err = filepath.WalkDir(w.home, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(w.home, p)
		if rel == ".aws/credentials" || (filepath.Dir(rel) == ".cache/awsrole" && strings.HasSuffix(rel, ".json")) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if filepath.Dir(rel) == ".local/state/awsrole/refresh" {
			// The watcher's copy of the pre-role environment, to refresh
			// from: the user's own values in a 0600 file, as DESIGN.md
			// allows; never a credential awsrole obtained.
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("~/%s holds the user's environment with mode %v, want 0600", rel, fi.Mode())
			}
			leak("the file ~/"+rel, b, w.alice.SecretAccessKey)
			return nil
		}
		leak("the file ~/"+rel, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// hasCommand reports whether the awsrole under test has the subcommand.
func hasCommand(t *testing.T, w *world, name string) bool {
	t.Helper()
	cmd := exec.Command(awsroleBin, "help", name)
	cmd.Env = w.env
	out, err := cmd.CombinedOutput()
	return err == nil && !strings.Contains(string(out), "Unknown help topic")
}

// isWatcher tells the background watcher ("awsrole watch") by its argv.
func isWatcher(cmdline []byte) bool {
	args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
	return len(args) > 1 && args[1] == "watch"
}

func clipBytes(b []byte) string {
	s := strings.ReplaceAll(string(b), "\x00", " ")
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
