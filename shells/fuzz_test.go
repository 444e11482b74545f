package shells

import (
	"strings"
	"testing"

	"github.com/awsrole/awsrole/internal/testenv"
)

// The fuzz targets use the real shell as the oracle: whatever bytes a value
// holds, Export's code must give them back unchanged, both as an exported
// variable (in the shell and in a child's environment) and as a hook-private
// one. The seed corpus is in testdata/fuzz/; CI runs go test -fuzz later.

func FuzzExportBash(f *testing.F) { fuzzExport(f, Bash) }
func FuzzExportZsh(f *testing.F)  { fuzzExport(f, Zsh) }
func FuzzExportFish(f *testing.F) { fuzzExport(f, Fish) }

func fuzzExport(f *testing.F, sh Shell) {
	tool := testenv.Tool(f, sh.Name())
	f.Fuzz(func(t *testing.T, value string) {
		changes := map[string]*string{"AWSROLE_FUZZ": &value, "_awsrole_fuzz": &value}
		code, err := sh.Export(changes)
		if strings.IndexByte(value, 0) >= 0 {
			if err == nil {
				t.Fatalf("a value with NUL was accepted: %q", code)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(code, "\n"); n != 2 || !strings.HasSuffix(code, "\n") {
			t.Fatalf("want one line per variable, got %d lines", n)
		}
		names := []string{"AWSROLE_FUZZ", "_awsrole_fuzz"}
		vars, env := evalExport(t, tool, sh, changes, names, []string{"LC_ALL=C.UTF-8"})
		for _, name := range names {
			if got := vars[name]; got == nil || *got != value {
				t.Errorf("%s came back as %q, want %q", name, derefClip(got), clip(value))
			}
		}
		if got, ok := env["AWSROLE_FUZZ"]; !ok || got != value {
			t.Errorf("environment has AWSROLE_FUZZ=%q, want %q", clip(got), clip(value))
		}
		if _, ok := env["_awsrole_fuzz"]; ok {
			t.Error("hook-private _awsrole_fuzz is in the environment")
		}
	})
}

func derefClip(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return clip(*s)
}
