package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awsrole/awsrole/internal/teststs"
)

const deployFile = "role_arn = \"" + deployRole + "\"\nregion = \"ap-east-1\"\n"

// enterActive returns a bash session inside an allowed, active project "infra".
func enterActive(t *testing.T, w *world) (s interface {
	Run(string) string
	Env() map[string]string
}, dir string) {
	t.Helper()
	dir = w.project("infra", deployFile)
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := w.awsrole(dir, "allow"); err != nil {
		t.Fatalf("allow: %v\n%s", err, out)
	}
	sh := w.shell("bash")
	wantOutput(t, sh.Run("cd infra"), "awsrole: assumed "+deployRole)
	assertRole(t, sh.Env(), deployRole, "ap-east-1")
	return sh, dir
}

// Every way of failing leaves one line that says what to run, and a shell
// with no AWS credentials at all: not the previous project's, not the user's.
func TestFailClosed(t *testing.T) {
	t.Run("file changed since allowed, caught at the next cd", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		s, dir := enterActive(t, w)
		w.write("infra/.awsrole.toml", strings.Replace(deployFile, "deploy", "admin", 1))
		out := s.Run("cd sub")
		wantOutput(t, out, "awsrole: "+filepath.Join(dir, ".awsrole.toml")+" changed since it was allowed; run 'awsrole allow' to trust it")
		assertNoCredentials(t, s.Env())
	})
	t.Run("denied while active, caught at the next prompt", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		s, dir := enterActive(t, w)
		out := s.Run(shQuote(awsroleBin) + " deny")
		wantOutput(t, out, "awsrole: "+filepath.Join(dir, ".awsrole.toml")+" is denied; run 'awsrole allow' to trust it")
		assertNoCredentials(t, s.Env())
	})
	t.Run("unknown key names file, line and the nearest key", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		dir := w.project("typo", "region = \"ap-east-1\"\nrole-arn = \""+deployRole+"\"\n")
		s := w.shell("bash")
		out := s.Run("cd typo")
		wantOutput(t, out, "awsrole: "+filepath.Join(dir, ".awsrole.toml")+":2: unknown key \"role-arn\" (did you mean \"role_arn\"?)")
		assertNoCredentials(t, s.Env())
	})
	t.Run("STS AccessDenied, then awsrole login retries", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.sts.FailNext("AssumeRole", 1, teststs.AccessDenied)
		w.allowedProject("infra", deployFile)
		s := w.shell("bash")
		out := s.Run("cd infra")
		wantOutput(t, out, "AssumeRole failed: AccessDenied")
		wantOutput(t, out, "run 'awsrole login' to try again")
		assertNoCredentials(t, s.Env())
		out = s.Run(shQuote(awsroleBin) + " login")
		wantOutput(t, out, "awsrole: logged in as "+deployRole)
		wantOutput(t, out, "awsrole: assumed "+deployRole)
		assertRole(t, s.Env(), deployRole, "ap-east-1")
	})
	t.Run("STS stalls past the timeout", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, teststs.WithStallLimit(20*time.Second))
		w.write(".config/awsrole/config.toml", "sts_timeout = \"2s\"\n")
		w.sts.FailAll("AssumeRole", teststs.Stall)
		w.allowedProject("infra", deployFile)
		s := w.shell("bash")
		start := time.Now()
		out := s.Run("cd infra")
		wantOutput(t, out, "STS did not answer within 2s; run 'awsrole login' to try again")
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("the prompt came back after %s; the timeout is 2s", d)
		}
		assertNoCredentials(t, s.Env())
	})
	t.Run("throttling is retried a bounded number of times", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.sts.FailAll("AssumeRole", teststs.Throttling)
		w.allowedProject("infra", deployFile)
		s := w.shell("bash")
		out := s.Run("cd infra")
		wantOutput(t, out, "AssumeRole failed: Throttling")
		if n := w.sts.Calls("AssumeRole"); n < 2 || n > 3 {
			t.Errorf("%d AssumeRole attempts; want a retry, bounded at 3", n)
		}
		assertNoCredentials(t, s.Env())
	})
	t.Run("credentials that are already expired are never exported", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.sts.FailNext("AssumeRole", 1, teststs.ExpiredCredentials)
		w.allowedProject("infra", deployFile)
		s := w.shell("bash")
		out := s.Run("cd infra")
		wantOutput(t, out, "STS returned credentials that expired at")
		assertNoCredentials(t, s.Env())
	})
	t.Run("malformed STS answer", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.sts.FailAll("AssumeRole", teststs.MalformedXML)
		w.allowedProject("infra", deployFile)
		s := w.shell("bash")
		out := s.Run("cd infra")
		wantOutput(t, out, "AssumeRole failed")
		assertNoCredentials(t, s.Env())
	})
	t.Run("from an active project into a blocked one keeps nothing of the first", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		s, _ := enterActive(t, w)
		other := w.project("other", "role_arn = \""+auditRole+"\"\n")
		out := s.Run("cd " + shQuote(other))
		wantOutput(t, out, "is not allowed")
		assertNoCredentials(t, s.Env())
		wantOutput(t, s.Run("cd .."), "awsrole: unloaded")
		env := s.Env()
		if env["AWS_PROFILE"] != "dev" || env["AWS_SECURITY_TOKEN"] != staleToken {
			t.Errorf("leaving the blocked project did not restore the user's own variables")
		}
	})
	t.Run("account not in allowed_accounts", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.write(".config/awsrole/config.toml", "allowed_accounts = [\"999999999999\"]\n")
		w.allowedProject("infra", deployFile)
		s := w.shell("bash")
		out := s.Run("cd infra")
		wantOutput(t, out, "names account 222222222222, which allowed_accounts in")
		assertNoCredentials(t, s.Env())
		if n := w.sts.Calls("AssumeRole"); n != 0 {
			t.Errorf("a refused account still made %d STS calls", n)
		}
	})
	t.Run("damaged AWSROLE_STATE", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		s, _ := enterActive(t, w)
		s.Run("export AWSROLE_STATE=not-a-state")
		out := s.Run("cd sub")
		wantOutput(t, out, "awsrole: AWSROLE_STATE was damaged; AWS credential variables are cleared")
		env := s.Env()
		for _, n := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"} {
			if _, ok := env[n]; ok {
				t.Errorf("%s survived a damaged state", n)
			}
		}
	})
}

// Ctrl-C while STS is slow cancels the call, gives the prompt back and
// leaves nothing exported.
func TestCtrlCCancels(t *testing.T) {
	for _, kind := range []string{"bash", "zsh", "fish"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, teststs.WithStallLimit(25*time.Second))
			w.sts.FailAll("AssumeRole", teststs.Stall)
			w.write(".config/awsrole/config.toml", "sts_timeout = \"20s\"\n")
			w.allowedProject("infra", deployFile)
			s := w.shell(kind)
			s.Send("cd infra\r")
			deadline := time.Now().Add(10 * time.Second)
			for w.sts.Calls("AssumeRole") == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if w.sts.Calls("AssumeRole") == 0 {
				t.Fatal("the hook never called STS")
			}
			start := time.Now()
			s.Send("\x03")
			out := s.WaitPrompt()
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the prompt came back %s after Ctrl-C", d)
			}
			wantOutput(t, out, "cancelled; run 'awsrole login' to try again")
			assertNoCredentials(t, s.Env())
		})
	}
}
