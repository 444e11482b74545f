package shells

import (
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/awsrole/awsrole/internal/testenv"
)

// TestHookFishPrompt drives a real interactive fish on a terminal: the hook
// runs on the fish_prompt event, before the fish_prompt function, which must
// see both the role and the status of the user's last command.
func TestHookFishPrompt(t *testing.T) {
	tool := testenv.Tool(t, "fish")
	f := newFakeBin(t, Fish)
	cmd := exec.Command(tool, "--no-config", "--private", "--interactive")
	cmd.Env = f.env
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer func() {
		_ = tty.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	go func() { _, _ = io.Copy(io.Discard, tty) }()

	want := "prompt sees status 0 role \n" +
		"export --prompt fish\n" +
		"prompt sees status 0 role " + testRole + "\n" +
		"prompt sees status 1 role " + testRole + "\n"
	steps := []string{
		`function log; printf '%s\n' "$argv" >>$AWSROLE_TEST_LOG; end`,
		`function fish_prompt; log "prompt sees status $status role $AWSROLE_ROLE"; printf '> '; end`,
		`source $AWSROLE_TEST_HOOK; source $AWSROLE_TEST_HOOK; cd $AWSROLE_TEST_D1`,
		`false`,
	}
	for _, step := range steps {
		if _, err := io.WriteString(tty, step+"\r"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !strings.HasSuffix(f.log(t), want) {
		time.Sleep(50 * time.Millisecond)
	}
	// The default prompt may log nothing; only the lines from step 2 on count.
	if got := f.log(t); !strings.HasSuffix(got, want) {
		t.Errorf("log:\n%s\nwant it to end with:\n%s", got, want)
	}
}
