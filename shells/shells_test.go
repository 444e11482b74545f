package shells

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/awsrole/awsrole/internal/testenv"
)

func ptr(s string) *string { return &s }

func TestLookup(t *testing.T) {
	for _, name := range []string{"bash", "zsh", "fish"} {
		sh, err := Lookup(name)
		if err != nil || sh.Name() != name {
			t.Errorf("Lookup(%q) = %v, %v", name, sh, err)
		}
	}
	_, err := Lookup("tcsh")
	if err == nil || !strings.Contains(err.Error(), "bash, zsh, fish") {
		t.Errorf("Lookup(tcsh) error = %v, want one naming the supported shells", err)
	}
	if got := Names(); !slices.Equal(got, []string{"bash", "zsh", "fish"}) {
		t.Errorf("Names() = %q", got)
	}
}

func TestExportSortedOneLineEach(t *testing.T) {
	changes := map[string]*string{
		"b": ptr("x\ny"), "A": ptr("1"), "_awsrole_recheck": ptr("0"), "a": nil, "Z_9": ptr("\xff"),
	}
	for _, sh := range all {
		out, err := sh.Export(changes)
		if err != nil {
			t.Fatalf("%s: %v", sh.Name(), err)
		}
		again, _ := sh.Export(changes)
		if again != out {
			t.Errorf("%s: output differs between calls", sh.Name())
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		var order []string
		for _, line := range lines {
			for _, f := range strings.Fields(line) {
				name, _, _ := strings.Cut(f, "=")
				if _, ok := changes[name]; ok {
					order = append(order, name)
					break
				}
			}
		}
		if want := []string{"A", "Z_9", "_awsrole_recheck", "a", "b"}; !slices.Equal(order, want) {
			t.Errorf("%s: order %q, want %q in:\n%s", sh.Name(), order, want, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] >= 0x7f || (out[i] < 0x20 && out[i] != '\n') {
				t.Errorf("%s: output byte %#x is not printable ASCII", sh.Name(), out[i])
			}
		}
	}
}

func TestExportRejects(t *testing.T) {
	bad := []map[string]*string{
		{"": ptr("x")}, {"1A": ptr("x")}, {"A-B": nil}, {"A B": ptr("x")}, {"é": ptr("x")},
		{"A=B": ptr("x")}, {"$A": ptr("x")}, {"A\n": ptr("x")},
		{"OK": ptr("a\x00b")}, {"_awsrole_x": ptr("\x00")},
	}
	for _, sh := range all {
		for _, changes := range bad {
			if out, err := sh.Export(changes); err == nil {
				t.Errorf("%s: Export(%q) = %q, want an error", sh.Name(), keys(changes), out)
			}
		}
	}
}

func keys(m map[string]*string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// hardValues are values that have broken shell quoting somewhere.
var hardValues = []string{
	"", "plain", "with space", "  lead and trail  ", "it's", `"double"`, `'`, `''`,
	`back\slash`, `\\`, `trailing\`, `\'`, `\x41`, `\n`, `\u00e9`, `\c@`,
	"$HOME", "${HOME}", "$(echo pwned)", "`echo pwned`", "$'x'", `$"x"`,
	"%s %d %% %(%s)T", "!!", "!$", "hist!ory", "^old^new", "~", "~root", "*", "?", "[a]", "{a,b}",
	"a;b|c&d>e<f", "#comment", "-e", "--", "=", "a=b", "-x y",
	"line1\nline2", "\n", "trailing\n\n", "cr\r\nlf", "\r", "\t\ttab", "\v\f\b\a",
	"\x01\x02\x1b[31mred\x1b[0m\x7f", "é ü 日本 🎉", "\xff\xfe\x80", "\xc3", "\xc3'", "\xc3\\'", "\xc3\xa9",
	"\xef\x98\x83\xef\x9b\xbf",               // U+F603, U+F6FF: fish's private byte-encoding range
	"\x81\\", "\xe0\x80\x80", "\xed\xa0\x80", // a GBK lead byte before a backslash; overlong; surrogate
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY+/=",
	strings.Repeat("x'\\\n$`\"\xff", 12500), // 100 KB
}

func TestExportRoundTrip(t *testing.T) {
	for _, sh := range all {
		t.Run(sh.Name(), func(t *testing.T) {
			tool := testenv.Tool(t, sh.Name())
			changes := map[string]*string{
				"AWSROLE_GONE":         nil,
				"_awsrole_gone":        nil,
				"_awsrole_wasexported": ptr("now private"),
				"AWSROLE_TEST_PATH":    ptr("a::b:"), // fish splits *PATH variables on ':'
			}
			var names []string
			for i, v := range hardValues {
				exported := fmtName("V", i)
				private := fmtName("_awsrole_v", i)
				changes[exported], changes[private] = ptr(v), ptr(v)
				names = append(names, exported, private)
			}
			names = append(names, "AWSROLE_GONE", "_awsrole_gone", "_awsrole_wasexported", "AWSROLE_TEST_PATH")
			for _, locale := range []string{"C", "C.UTF-8"} {
				env := []string{"LC_ALL=" + locale, "AWSROLE_GONE=before", "_awsrole_wasexported=before"}
				vars, childEnv := evalExport(t, tool, sh, changes, names, env)
				for name, want := range changes {
					got := vars[name]
					switch {
					case want == nil && got != nil:
						t.Errorf("%s: %s is still set to %q", locale, name, *got)
					case want != nil && got == nil:
						t.Errorf("%s: %s is not set", locale, name)
					case want != nil && *got != *want:
						t.Errorf("%s: %s = %q, want %q", locale, name, clip(*got), clip(*want))
					}
					envValue, inEnv := childEnv[name]
					switch {
					case isPrivate(name) && inEnv:
						t.Errorf("%s: hook-private %s is in the environment", locale, name)
					case !isPrivate(name) && want == nil && inEnv:
						t.Errorf("%s: unset %s is still in the environment", locale, name)
					case !isPrivate(name) && want != nil && envValue != *want:
						t.Errorf("%s: environment has %s=%q, want %q", locale, name, clip(envValue), clip(*want))
					}
				}
			}
		})
	}
}

func fmtName(prefix string, i int) string {
	return prefix + string(rune('0'+i/10)) + string(rune('0'+i%10))
}

func clip(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

// evalExport evaluates sh.Export(changes) inside a function of the real
// shell, as the hook does, and reports the shell variables in names (nil if
// unset) and the environment the shell hands to a child process.
func evalExport(t testing.TB, tool string, sh Shell, changes map[string]*string, names, env []string) (map[string]*string, map[string]string) {
	t.Helper()
	code, err := sh.Export(changes)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	codeFile := filepath.Join(dir, "code")
	if err := os.WriteFile(codeFile, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, "env")
	var script strings.Builder
	switch sh.Name() {
	case "fish":
		script.WriteString("set -g _awsrole_gone 1\nfunction f\n source " + fishQuote(codeFile) + "\nend\nf\n")
		for _, name := range names {
			script.WriteString("set -q " + name + "; and printf '%s' \"$" + name + "\" >" + fishQuote(filepath.Join(out, name)) + "\n")
		}
		script.WriteString("env -0 >" + fishQuote(envFile) + "\n")
	default:
		script.WriteString("_awsrole_gone=1\nf() {\n eval \"$(<" + ansiCQuote(codeFile) + ")\"\n}\nf\n")
		for _, name := range names {
			script.WriteString("if [[ -n ${" + name + "+x} ]]; then printf '%s' \"${" + name + "}\" >" + ansiCQuote(filepath.Join(out, name)) + "; fi\n")
		}
		script.WriteString("env -0 >" + ansiCQuote(envFile) + "\n")
	}
	cmd := shellCommand(tool, sh, false, script.String())
	cmd.Env = append(baseEnv(t, dir), env...)
	if b, err := cmd.CombinedOutput(); err != nil || len(b) > 0 {
		t.Fatalf("%s: %v, output:\n%s", sh.Name(), err, clip(string(b)))
	}
	vars := map[string]*string{}
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err == nil {
			vars[name] = ptr(string(b))
		}
	}
	b, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	childEnv := map[string]string{}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok {
			childEnv[k] = v
		}
	}
	return vars, childEnv
}

// shellCommand runs script in the real shell without any rc file.
func shellCommand(tool string, sh Shell, interactive bool, script string, strict ...string) *exec.Cmd {
	var args []string
	switch sh.Name() {
	case "bash":
		args = []string{"--noprofile", "--norc"}
	case "zsh":
		args = []string{"--no-globalrcs", "--no-rcs"}
	case "fish":
		args = []string{"--no-config", "--private"}
	}
	if interactive {
		args = append(args, "-i")
	}
	args = append(args, strict...)
	return exec.Command(tool, append(args, "-c", script)...)
}

// baseEnv is a small, fixed environment with HOME in a scratch directory,
// so that no user configuration or history is read or written.
func baseEnv(t testing.TB, dir string) []string {
	t.Helper()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TERM=dumb",
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
	}
}
