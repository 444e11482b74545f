package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awsrole/awsrole/internal/shelltest"
	"github.com/awsrole/awsrole/internal/testenv"
	"github.com/awsrole/awsrole/internal/teststs"
)

const deployFileEU = "role_arn = \"" + deployRole + "\"\nsource_profile = \"dev\"\nregion = \"eu-west-1\"\n"

// onPath puts the awsrole binary on the world's PATH, as an install does:
// completions and the commands typed at the prompt find it by name.
func onPath(w *world) {
	for i, kv := range w.env {
		if strings.HasPrefix(kv, "PATH=") {
			w.env[i] = "PATH=" + filepath.Dir(awsroleBin) + ":" + strings.TrimPrefix(kv, "PATH=")
		}
	}
}

// TestDoctorTellsWhetherTheHookRuns: doctor, typed at the prompt, knows
// whether that shell runs the hook, and finds the stale AWS_SECURITY_TOKEN
// the login environment carries.
func TestDoctorTellsWhetherTheHookRuns(t *testing.T) {
	for _, kind := range []string{"bash", "zsh", "fish"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			onPath(w)

			hooked := w.shell(kind)
			out := hooked.Run("awsrole doctor")
			if strings.Contains(out, "hook:") {
				t.Errorf("doctor in a shell with the hook reports it missing:\n%s", out)
			}
			wantOutput(t, out, "security-token: AWS_SECURITY_TOKEN differs from AWS_SESSION_TOKEN")

			plain := shelltest.Start(t, shelltest.Options{Shell: kind, Env: w.env, Dir: w.home, Timeout: 30 * time.Second})
			out = plain.Run("awsrole doctor")
			wantOutput(t, out, "hook: this shell ("+kind+", pid ")
			wantOutput(t, out, ") does not run the awsrole hook at its prompt")
			wantOutput(t, out, "awsrole hook "+kind)
			wantOutput(t, out, "awsrole: doctor found 2 problems")
		})
	}
}

// A shell started from a hooked shell without the hook inherits the
// exported marker, but it is not that shell's.
func TestDoctorInNestedShellWithoutHook(t *testing.T) {
	bash := testenv.Tool(t, "bash")
	w := newWorld(t)
	onPath(w)
	s := w.shell("bash")
	s.Send("PS1='nested> ' " + s.Quote(bash) + " --norc --noprofile\r")
	s.Expect("nested> ")
	s.Send("awsrole doctor; exit\r")
	out := s.WaitPrompt()
	wantOutput(t, out, "hook: this shell (bash, pid ")
	wantOutput(t, out, "(the hook runs in shell bash:")
}

// TestExecPassesSignalsAndStatus: awsrole exec becomes the command, so a
// signal sent to it reaches the command, and the command's exit status is
// the exit status.
func TestExecPassesSignalsAndStatus(t *testing.T) {
	w := newWorld(t)
	dir := w.project("infra", deployFileEU)
	if out, err := w.awsrole(dir, "allow"); err != nil {
		t.Fatalf("allow: %v\n%s", err, out)
	}
	cmd := exec.Command(awsroleBin, "exec", "--", "sh", "-c", `trap 'echo "got TERM as $AWSROLE_ROLE"; exit 3' TERM; echo ready; while :; do sleep 0.1; done`)
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, w.env...), "PWD="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("first line %q, want ready", lines.Text())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("exit: %v, want status 3", err)
	}
	if want := "got TERM as " + deployRole; strings.Join(rest, "\n") != want {
		t.Errorf("output %q, want %q", rest, want)
	}
}

// Ctrl-C at the terminal reaches the command once, and the prompt's $?
// is its status.
func TestExecCtrlC(t *testing.T) {
	w := newWorld(t)
	onPath(w)
	w.project("infra", deployFileEU)
	counter := w.write("bin/count-int", `#!/bin/sh
n=0
trap 'n=$((n + 1))' INT
echo ready
while [ "$n" = 0 ]; do sleep 0.1; done
sleep 0.5
echo "got $n INT"
exit 4
`)
	if err := os.Chmod(counter, 0o755); err != nil {
		t.Fatal(err)
	}
	s := w.shell("bash")
	s.Run("cd infra")
	s.Run("awsrole allow")
	s.Send("awsrole exec -- " + s.Quote(counter) + "\r")
	s.Expect("ready")
	s.Send("\x03")
	out := s.WaitPrompt()
	wantOutput(t, out, "got 1 INT")
	wantOutput(t, s.Run("echo status $?"), "status 4")
}

// TestEditReopensInTheTerminal: awsrole edit runs the editor on the
// terminal; an invalid save is explained and the editor opens again.
func TestEditReopensInTheTerminal(t *testing.T) {
	w := newWorld(t)
	onPath(w)
	w.project("infra", deployFileEU)
	editor := w.write("bin/line-editor", "#!/bin/sh\nprintf 'new content: '\nIFS= read -r line\nprintf '%s\\n' \"$line\" >\"$1\"\n")
	if err := os.Chmod(editor, 0o755); err != nil {
		t.Fatal(err)
	}
	s := w.shell("bash")
	s.Run("cd infra")
	s.Send("EDITOR=" + s.Quote(editor) + " awsrole edit\r")
	s.Expect("new content: ")
	s.Send("role-arn = \"" + auditRole + "\"\r")
	s.Expect(`unknown key "role-arn" (did you mean "role_arn"?); reopening the editor`)
	s.Expect("new content: ")
	s.Send("role_arn = \"" + auditRole + "\"\r")
	out := s.WaitPrompt()
	wantOutput(t, out, "awsrole: allowed "+filepath.Join(w.home, "infra", ".awsrole.toml"))
	wantOutput(t, out, "awsrole: assumed "+auditRole)
	if env := s.Env(); env["AWSROLE_ROLE"] != auditRole {
		t.Errorf("AWSROLE_ROLE = %q after edit, want %q", env["AWSROLE_ROLE"], auditRole)
	}
}

// TestCompletionsLoad sources each completion script in its real shell and
// asks it to complete.
func TestCompletionsLoad(t *testing.T) {
	cases := map[string]struct{ load, ask, want string }{
		"bash": {`source <(awsrole completion bash)`,
			`COMP_WORDS=(awsrole exp); COMP_CWORD=1; COMP_LINE='awsrole exp'; COMP_POINT=11; __start_awsrole awsrole exp awsrole; echo "[${COMPREPLY[*]}]"`,
			"[export]"},
		"zsh": {`autoload -Uz compinit && compinit -u && source <(awsrole completion zsh)`,
			`print -r -- "[${_comps[awsrole]}]"`,
			"[_awsrole]"},
		"fish": {`awsrole completion fish | source`,
			`complete -C 'awsrole export --format d'`,
			"dotenv"},
	}
	for kind, c := range cases {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			onPath(w)
			s := w.shell(kind)
			if out := s.Run(c.load); strings.TrimSpace(out) != "" {
				t.Errorf("loading printed %q", out)
			}
			wantOutput(t, s.Run(c.ask), c.want)
		})
	}
}

// TestProgressWhileSTSIsSlow: a slow STS call shows an indicator on the
// terminal, which says how to give up; Ctrl-C gives up.
func TestProgressWhileSTSIsSlow(t *testing.T) {
	w := newWorld(t, teststs.WithStallLimit(25*time.Second))
	w.sts.FailAll("AssumeRole", teststs.Stall)
	w.write(".config/awsrole/config.toml", "sts_timeout = \"20s\"\n")
	dir := w.project("infra", deployFileEU)
	if out, err := w.awsrole(dir, "allow"); err != nil {
		t.Fatalf("allow: %v\n%s", err, out)
	}
	s := w.shell("bash")
	s.Send("cd infra\r")
	s.Expect("awsrole: waiting for AWS")
	s.Expect("(taking a while; Ctrl-C to give up)")
	s.Send("\x03")
	out := s.WaitPrompt()
	wantOutput(t, out, "cancelled; run 'awsrole login' to try again")
	assertNoCredentials(t, s.Env())
}

// TestCredentialProcessWithAWSCLI: a profile whose credential_process is
// awsrole gives the real AWS CLI the directory's role.
func TestCredentialProcessWithAWSCLI(t *testing.T) {
	awsCLI := testenv.Tool(t, "/usr/bin/aws")
	w := newWorld(t)
	dir := w.project("infra", deployFileEU)
	if out, err := w.awsrole(dir, "allow"); err != nil {
		t.Fatalf("allow: %v\n%s", err, out)
	}
	w.write(".aws/config", fmt.Sprintf("[profile dev]\nregion = eu-central-1\n\n[profile infra]\nregion = eu-west-1\ncredential_process = %s credential-process --dir %s\n", awsroleBin, dir))
	for i := 0; i < 2; i++ {
		cmd := exec.Command(awsCLI, "--endpoint-url", w.sts.URL(), "--profile", "infra", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
		cmd.Dir = w.home
		cmd.Env = append(append([]string{}, w.env...), "AWS_PROFILE=infra")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws: %v\n%s", err, out)
		}
		wantOutput(t, string(out), "arn:aws:sts::222222222222:assumed-role/deploy/")
	}
	if n := w.sts.Calls("AssumeRole"); n != 1 {
		t.Errorf("%d AssumeRole calls for two CLI runs, want 1 (the cache)", n)
	}
}

// starship's aws module parses AWS_CREDENTIAL_EXPIRATION (or
// AWS_SESSION_EXPIRATION) as RFC 3339; what the hook exports must be exactly
// that, so the expiry shows with no set-up.
func TestExpiryIsWhatStarshipReads(t *testing.T) {
	rfc3339 := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)
	w := newWorld(t)
	w.project("infra", deployFileEU)
	s := w.shell("zsh")
	s.Run("cd infra")
	s.Run(s.Quote(awsroleBin) + " allow")
	env := s.Env()
	for _, n := range []string{"AWS_CREDENTIAL_EXPIRATION", "AWS_SESSION_EXPIRATION"} {
		v := env[n]
		if !rfc3339.MatchString(v) {
			t.Errorf("%s = %q, not RFC 3339", n, v)
			continue
		}
		exp, err := time.Parse(time.RFC3339, v)
		if err != nil || exp.Before(time.Now().Add(50*time.Minute)) || exp.After(time.Now().Add(61*time.Minute)) {
			t.Errorf("%s = %q (%v): want about an hour from now", n, v, err)
		}
	}
	wantOutput(t, s.Run(s.Quote(awsroleBin)+" prompt"), "deploy ")
}
