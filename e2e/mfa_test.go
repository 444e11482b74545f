package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awsrole/awsrole/internal/shelltest"
	"github.com/awsrole/awsrole/internal/testenv"
	"github.com/awsrole/awsrole/internal/teststs"
)

const (
	mfaSerial  = "arn:aws:iam::111111111111:mfa/alice"
	mfaDeploy  = "arn:aws:iam::222222222222:role/mfa-deploy"
	mfaAudit   = "arn:aws:iam::333333333333:role/mfa-audit"
	mfaPrompt  = "awsrole: MFA code for " + mfaSerial
	codeFirst  = "123456"
	codeSecond = "234567"
)

// mfaWorld adds an MFA device with known one-time codes and two roles that
// require MFA, each in an allowed project: mfa-a and mfa-b.
func mfaWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	w.sts.AddMFA(mfaSerial, "alice", codeFirst, codeSecond, "345678", "456789")
	w.sts.AddRole(mfaDeploy, teststs.RequireMFA())
	w.sts.AddRole(mfaAudit, teststs.RequireMFA())
	for name, role := range map[string]string{"mfa-a": mfaDeploy, "mfa-b": mfaAudit} {
		w.allowedProject(name, fmt.Sprintf("role_arn = %q\nmfa_serial = %q\nregion = \"ap-east-1\"\n", role, mfaSerial))
	}
	return w
}

// One code serves every role behind the serial, in every shell, for the
// life of the MFA session.
func TestMFAOnceForEveryRoleAndShell(t *testing.T) {
	for _, kind := range []string{"bash", "zsh", "fish"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := mfaWorld(t)
			s := w.shell(kind)
			s.Send("cd mfa-a\r")
			s.Expect(mfaPrompt + " (an MFA session): ")
			s.Send(codeFirst + "\r")
			wantOutput(t, s.WaitPrompt(), "awsrole: assumed "+mfaDeploy+" (ap-east-1) until ")
			assertRole(t, s.Env(), mfaDeploy, "ap-east-1")

			out := s.Run("cd ../mfa-b")
			wantOutput(t, out, "awsrole: assumed "+mfaAudit)
			if strings.Contains(out, "MFA code") {
				t.Errorf("asked for a second code for another role behind the same serial:\n%s", out)
			}
			second := w.shell(kind)
			out = second.Run("cd mfa-a")
			wantOutput(t, out, "awsrole: assumed "+mfaDeploy)
			if strings.Contains(out, "MFA code") {
				t.Errorf("a second terminal asked for a code again:\n%s", out)
			}
			if n := w.sts.Calls("GetSessionToken"); n != 1 {
				t.Errorf("%d GetSessionToken calls; one code, one MFA session", n)
			}
			if n := w.sts.Calls("AssumeRole"); n != 2 {
				t.Errorf("%d AssumeRole calls; want 2 (one per role, the second shell from the cache)", n)
			}
		})
	}
}

func TestMFAPromptAnswers(t *testing.T) {
	t.Run("a refused code is asked again", func(t *testing.T) {
		t.Parallel()
		w := mfaWorld(t)
		s := w.shell("bash")
		s.Send("cd mfa-a\r")
		s.Expect(mfaPrompt)
		s.Send("999999\r")
		s.Expect("STS did not accept that MFA code")
		s.Expect(mfaPrompt)
		s.Send(codeSecond + "\r")
		wantOutput(t, s.WaitPrompt(), "awsrole: assumed "+mfaDeploy)
		assertRole(t, s.Env(), mfaDeploy, "ap-east-1")
	})
	t.Run("not six digits is refused before any call", func(t *testing.T) {
		t.Parallel()
		w := mfaWorld(t)
		s := w.shell("bash")
		s.Send("cd mfa-a\r")
		s.Expect(mfaPrompt)
		s.Send("12ab\r")
		s.Expect("awsrole: an MFA code is six digits")
		if n := w.sts.Calls("GetSessionToken"); n != 0 {
			t.Errorf("a malformed code reached STS (%d calls)", n)
		}
		s.Send(codeFirst + "\r")
		wantOutput(t, s.WaitPrompt(), "awsrole: assumed "+mfaDeploy)
	})
	t.Run("an empty line cancels and leaves the shell clean", func(t *testing.T) {
		t.Parallel()
		w := mfaWorld(t)
		s := w.shell("zsh")
		s.Send("cd mfa-a\r")
		s.Expect(mfaPrompt)
		s.Send("\r")
		wantOutput(t, s.WaitPrompt(), "cancelled; run 'awsrole login' to try again")
		assertNoCredentials(t, s.Env())
	})
	t.Run("Ctrl-C at the prompt cancels", func(t *testing.T) {
		t.Parallel()
		w := mfaWorld(t)
		s := w.shell("fish")
		s.Send("cd mfa-a\r")
		s.Expect(mfaPrompt)
		s.Send("\x03")
		wantOutput(t, s.WaitPrompt(), "cancelled; run 'awsrole login' to try again")
		assertNoCredentials(t, s.Env())
	})
}

// Never a prompt outside the prompt hook: not in $(cd …) subshells, not when
// export is run by hand or by a script. The user is told to run login.
func TestMFANeverPromptsOutsideThePrompt(t *testing.T) {
	for _, kind := range []string{"bash", "zsh"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := mfaWorld(t)
			s := w.shell(kind)
			out := s.Run(`echo "[$(cd mfa-a && pwd)]"`)
			wantOutput(t, out, "/mfa-a]")
			out += s.Run(`x=$(cd mfa-b && ` + shQuote(awsroleBin) + ` export ` + kind + `); echo "${#x}"`)
			wantOutput(t, out, "needs an MFA code for "+mfaSerial+"; run 'awsrole login' to enter it")
			if strings.Contains(out, mfaPrompt) {
				t.Errorf("prompted outside the prompt hook:\n%s", out)
			}
			if n := w.sts.Calls("GetSessionToken"); n != 0 {
				t.Errorf("%d GetSessionToken calls from a subshell", n)
			}
			env := s.Env()
			if env["AWS_ACCESS_KEY_ID"] != "" || env["AWSROLE_ROLE"] != "" || env["AWS_PROFILE"] != "dev" {
				t.Errorf("a subshell changed the interactive shell's environment")
			}
		})
	}
}

// awsrole login asks once; afterwards cd needs no code.
func TestLoginThenCd(t *testing.T) {
	w := mfaWorld(t)
	s := w.shell("bash")
	s.Send(shQuote(awsroleBin) + " login mfa-a\r")
	s.Expect(mfaPrompt)
	s.Send(codeFirst + "\r")
	wantOutput(t, s.WaitPrompt(), "awsrole: logged in as "+mfaDeploy+" until ")
	out := s.Run("cd mfa-a")
	wantOutput(t, out, "awsrole: assumed "+mfaDeploy)
	if strings.Contains(out, "MFA code") {
		t.Errorf("asked again after login:\n%s", out)
	}

	// logout forgets the cache; this shell keeps what it already has, and
	// the next entry asks for a code again.
	out = s.Run(shQuote(awsroleBin) + " logout --all")
	wantOutput(t, out, "awsrole: forgot all cached credentials and MFA sessions")
	assertRole(t, s.Env(), mfaDeploy, "ap-east-1")
	other := w.shell("bash")
	other.Send("cd mfa-a\r")
	other.Expect(mfaPrompt)
	other.Send(codeSecond + "\r")
	wantOutput(t, other.WaitPrompt(), "awsrole: assumed "+mfaDeploy)
}

func TestMFAProcess(t *testing.T) {
	t.Run("from the user config, no prompt", func(t *testing.T) {
		t.Parallel()
		w := mfaWorld(t)
		counter := filepath.Join(w.home, "mfa-process-ran")
		w.write(".config/awsrole/config.toml", fmt.Sprintf("mfa_process = \"echo x >> %s; echo %s\"\n", counter, codeFirst))
		s := w.shell("bash")
		out := s.Run("cd mfa-a")
		wantOutput(t, out, "awsrole: assumed "+mfaDeploy)
		if strings.Contains(out, "MFA code for") {
			t.Errorf("prompted although mfa_process is set:\n%s", out)
		}
		if b, _ := os.ReadFile(counter); string(b) != "x\n" {
			t.Errorf("mfa_process ran %q times, want once", b)
		}
	})
	t.Run("refused in a directory file", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		dir := w.project("evil", fmt.Sprintf("role_arn = %q\nmfa_process = \"touch %s/pwned\"\n", deployRole, w.home))
		s := w.shell("bash")
		out := s.Run("cd evil")
		wantOutput(t, out, filepath.Join(dir, ".awsrole.toml")+":2: \"mfa_process\" belongs in the user config")
		assertNoCredentials(t, s.Env())
		if _, err := os.Stat(filepath.Join(w.home, "pwned")); err == nil {
			t.Error("a directory file ran a program")
		}
	})
}

// mfa_serial alone: IAM-user session credentials from GetSessionToken,
// with the API's duration limits checked before any call.
func TestGetSessionToken(t *testing.T) {
	awsCLI := testenv.Tool(t, "/usr/bin/aws")
	w := newWorld(t)
	w.sts.AddMFA(mfaSerial, "alice", codeFirst)
	dir := w.allowedProject("user", fmt.Sprintf("mfa_serial = %q\nregion = \"eu-west-1\"\nduration = \"36h\"\n", mfaSerial))
	s := w.shell("bash")
	s.Send("cd user\r")
	s.Expect(mfaPrompt)
	s.Send(codeFirst + "\r")
	wantOutput(t, s.WaitPrompt(), "awsrole: assumed "+mfaSerial+" (eu-west-1) until ")
	env := s.Env()
	if env["AWSROLE_ROLE"] != mfaSerial || env["AWS_SESSION_TOKEN"] == "" {
		t.Errorf("AWSROLE_ROLE = %q, token %d bytes", env["AWSROLE_ROLE"], len(env["AWS_SESSION_TOKEN"]))
	}
	reqs := w.sts.Requests()
	if last := reqs[len(reqs)-1]; last.Action != "GetSessionToken" || last.DurationSeconds != 129600 || last.Region != "eu-west-1" {
		t.Errorf("last call %s for %ds in %s, want GetSessionToken for 129600s in eu-west-1", last.Action, last.DurationSeconds, last.Region)
	}
	out := s.Run(shQuote(awsCLI) + ` --endpoint-url "$AWS_ENDPOINT_URL_STS" sts get-caller-identity --query Arn --output text`)
	wantOutput(t, out, "arn:aws:iam::111111111111:user/alice")

	for _, tc := range []struct{ serial, duration, want string }{
		{mfaSerial, "37h", "duration 37h is out of range for an mfa session (mfa_serial alone)"},
		{"arn:aws:iam::111111111111:mfa/root-account-mfa-device", "2h", "duration 2h is out of range for the root user's mfa session"},
		{mfaSerial, "10m", "duration 10m is out of range"},
	} {
		s.Run("cd " + shQuote(w.home))
		w.write("user/.awsrole.toml", fmt.Sprintf("mfa_serial = %q\nduration = %q\n", tc.serial, tc.duration))
		wantOutput(t, s.Run("cd "+shQuote(dir)), tc.want)
	}
	if n := w.sts.Calls("GetSessionToken"); n != 1 {
		t.Errorf("invalid durations reached STS: %d calls", n)
	}
}

// Ten shells entering the same project at once make one STS call and show
// at most one MFA request (here answered by mfa_process, counted).
func TestTenShellsOneCall(t *testing.T) {
	w := mfaWorld(t)
	counter := filepath.Join(w.home, "asked")
	w.write(".config/awsrole/config.toml", fmt.Sprintf("mfa_process = \"echo x >> %s; echo %s\"\n", counter, codeFirst))
	shells := make([]*shelltest.Session, 10)
	for i := range shells {
		shells[i] = w.shell("bash")
	}
	for _, s := range shells {
		s.Send("cd mfa-a\r")
	}
	var mu sync.Mutex
	for _, s := range shells {
		out := s.WaitPrompt()
		mu.Lock()
		wantOutput(t, out, "awsrole: assumed "+mfaDeploy)
		mu.Unlock()
	}
	if n := w.sts.Calls("AssumeRole"); n != 1 {
		t.Errorf("ten shells made %d AssumeRole calls, want 1", n)
	}
	if n := w.sts.Calls("GetSessionToken"); n != 1 {
		t.Errorf("ten shells made %d GetSessionToken calls, want 1", n)
	}
	if b, _ := os.ReadFile(counter); string(b) != "x\n" {
		t.Errorf("the MFA code was asked for %d times, want once", strings.Count(string(b), "x"))
	}
}

// Credentials close to expiry are refreshed at the next prompt from the
// cached MFA session, without a code, and nothing expired stays exported.
func TestRefreshBeforeExpiry(t *testing.T) {
	w := mfaWorld(t)
	w.sts.SetActionLifetime("AssumeRole", 8*time.Second)
	w.write(".config/awsrole/config.toml", "refresh_margin = \"5s\"\n")
	s := w.shell("bash")
	s.Send("cd mfa-a\r")
	s.Expect(mfaPrompt)
	s.Send(codeFirst + "\r")
	wantOutput(t, s.WaitPrompt(), "awsrole: assumed ")
	first := s.Env()
	w.sts.SetActionLifetime("AssumeRole", time.Hour)
	time.Sleep(4 * time.Second) // past expiry minus the margin
	out := s.Run("true")
	wantOutput(t, out, "awsrole: refreshed "+mfaDeploy+" until ")
	if strings.Contains(out, "MFA code") {
		t.Errorf("a refresh asked for a code although the MFA session is valid:\n%s", out)
	}
	env := s.Env()
	assertRole(t, env, mfaDeploy, "ap-east-1")
	if env["AWS_ACCESS_KEY_ID"] == first["AWS_ACCESS_KEY_ID"] {
		t.Error("the credentials were not refreshed")
	}
}

func TestCacheFiles(t *testing.T) {
	w := newWorld(t)
	w.allowedProject("infra", deployFile)
	s := w.shell("bash")
	s.Run("umask 000")
	wantOutput(t, s.Run("cd infra"), "awsrole: assumed ")
	cacheDir := filepath.Join(w.home, ".cache/awsrole")
	fi, err := os.Stat(cacheDir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("cache directory: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "*"))
	if len(entries) == 0 {
		t.Fatal("nothing was cached")
	}
	for _, e := range entries {
		if fi, err := os.Stat(e); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e, fi.Mode().Perm())
		}
		if strings.HasSuffix(e, ".json") {
			if err := os.WriteFile(e, []byte("{not json"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A corrupt entry is discarded and fetched again, never fatal.
	other := w.shell("bash")
	wantOutput(t, other.Run("cd infra"), "awsrole: assumed "+deployRole)
	assertRole(t, other.Env(), deployRole, "ap-east-1")
	if n := w.sts.Calls("AssumeRole"); n != 2 {
		t.Errorf("%d AssumeRole calls; the corrupt entry should have caused exactly one more", n)
	}
}
