package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnchangedPromptRunsNoBinary, in each real shell with the real binary:
// once the binary has answered, prompts in the same directory run nothing,
// outside any project (no recheck time) and inside one (a recheck time in
// the future); a cd or a new generation runs it again. The user's exit
// status reaches the next command through the hook, on the fast path and
// on the slow one. The hook is pointed at a wrapper that logs each run.
func TestUnchangedPromptRunsNoBinary(t *testing.T) {
	for _, kind := range []string{"bash", "zsh", "fish"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			a := w.allowedProject("a", "role_arn = \""+deployRole+"\"\n")
			runs := filepath.Join(t.TempDir(), "runs")
			wrapper := filepath.Join(t.TempDir(), "awsrole")
			script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >>" + shQuote(runs) + "\nexec " + shQuote(awsroleBin) + " \"$@\"\n"
			if err := os.WriteFile(wrapper, []byte(script), 0o700); err != nil {
				t.Fatal(err)
			}
			s := w.shell(kind)
			set, status := "_awsrole_bin=", "$?"
			if kind == "fish" {
				set, status = "set -g _awsrole_bin ", "$status"
			}
			s.Run(set + s.Quote(wrapper))

			seen := 0
			// ran reports the binary's runs since the last call.
			ran := func() int {
				t.Helper()
				b, err := os.ReadFile(runs)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				n := strings.Count(string(b), "\n")
				since := n - seen
				seen = n
				return since
			}
			unchanged := func(where string) {
				t.Helper()
				for range 3 {
					s.Run("true")
				}
				s.Run("false")
				wantOutput(t, s.Run("echo status "+status), "status 1")
				if n := ran(); n != 0 {
					t.Errorf("%s, five unchanged prompts ran the binary %d times", where, n)
				}
			}

			unchanged("outside any project")
			wantOutput(t, s.Run("cd "+s.Quote(a)+"; false"), "awsrole: assumed "+deployRole)
			wantOutput(t, s.Run("echo status "+status), "status 1")
			if n := ran(); n == 0 {
				t.Error("entering a project did not run the binary")
			}
			if env := s.Env(); env["AWSROLE_ROLE"] != deployRole {
				t.Fatalf("AWSROLE_ROLE = %q after entering the project", env["AWSROLE_ROLE"])
			}
			unchanged("inside a project")

			// allow bumps the generation: the next prompt asks the binary.
			s.Run(s.Quote(awsroleBin) + " allow")
			if n := ran(); n == 0 {
				t.Error("a new generation did not run the binary")
			}
			unchanged("inside a project after a new generation")

			wantOutput(t, s.Run("cd "+s.Quote(w.home)), "awsrole: unloaded")
			if n := ran(); n == 0 {
				t.Error("leaving the project did not run the binary")
			}
			unchanged("after leaving")
		})
	}
}
