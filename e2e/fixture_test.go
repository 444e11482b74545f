// Package e2e drives the built awsrole binary the way a user does: a real
// interactive bash, zsh or fish under a pseudo-terminal, cd, the environment
// after the prompt, the messages printed, and the real AWS CLI using the
// exported variables, all against the local test STS.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awsrole/awsrole/internal/shelltest"
	"github.com/awsrole/awsrole/internal/teststs"
)

var awsroleBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "awsrole-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	awsroleBin = filepath.Join(dir, "awsrole")
	for _, pkg := range []string{"cmd/awsrole", "cmd/awsrole-sts", "cmd/teststs"} {
		build := exec.Command("go", "build", "-o", dir, "github.com/awsrole/awsrole/"+pkg)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	deployRole = "arn:aws:iam::222222222222:role/deploy"
	auditRole  = "arn:aws:iam::333333333333:role/audit"
	// A token another tool left behind: botocore would read it before
	// AWS_SESSION_TOKEN, so it must never survive inside a project.
	staleToken = "FwoGZXIvYXdzEStaleTokenFromAnotherTool//"
)

// world is one user's machine: a home, ~/.aws with a "dev" profile whose
// keys the test STS knows, and the STS itself.
type world struct {
	t     *testing.T
	sts   *teststs.Server
	home  string
	alice teststs.Credentials
	env   []string // the login environment every shell starts with
}

func newWorld(t *testing.T, opts ...teststs.Option) *world {
	t.Helper()
	w := &world{t: t, sts: teststs.Start(t, opts...), home: t.TempDir()}
	w.alice = w.sts.AddUser("alice", teststs.InAccount("111111111111"))
	w.sts.AddRole(deployRole)
	w.sts.AddRole(auditRole)
	w.write(".aws/credentials", fmt.Sprintf("[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		w.alice.AccessKeyID, w.alice.SecretAccessKey))
	w.write(".aws/config", "[profile dev]\nregion = eu-central-1\n")
	w.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + w.home,
		"USER=alice",
		"LANG=C.UTF-8",
		"TZ=UTC",
		"XDG_CONFIG_HOME=" + filepath.Join(w.home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(w.home, ".cache"),
		"XDG_DATA_HOME=" + filepath.Join(w.home, ".local/share"),
		"XDG_STATE_HOME=" + filepath.Join(w.home, ".local/state"),
		"AWS_CONFIG_FILE=" + filepath.Join(w.home, ".aws/config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(w.home, ".aws/credentials"),
		"AWS_ENDPOINT_URL_STS=" + w.sts.URL(),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PROFILE=dev",
		"AWS_SECURITY_TOKEN=" + staleToken,
	}
	return w
}

// write puts content at a path relative to the home directory.
func (w *world) write(rel, content string) string {
	w.t.Helper()
	p := filepath.Join(w.home, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// project makes a directory under home with a .awsrole.toml.
func (w *world) project(name, toml string) string {
	w.t.Helper()
	w.write(filepath.Join(name, ".awsrole.toml"), toml)
	return filepath.Join(w.home, name)
}

// allowedProject is project, trusted with `awsrole allow` as a user would.
func (w *world) allowedProject(name, toml string) string {
	w.t.Helper()
	dir := w.project(name, toml)
	if out, err := w.awsrole(dir, "allow"); err != nil {
		w.t.Fatalf("allow: %v\n%s", err, out)
	}
	return dir
}

// awsrole runs the binary outside any shell, as the user would in a script.
func (w *world) awsrole(dir string, args ...string) (string, error) {
	cmd := exec.Command(awsroleBin, args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, w.env...), "PWD="+dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (w *world) shell(kind string) *shelltest.Session {
	w.t.Helper()
	rc := fmt.Sprintf(`eval "$(%s hook %s)"`, shQuote(awsroleBin), kind)
	if kind == "fish" {
		rc = fmt.Sprintf(`%s hook fish | source`, shQuote(awsroleBin))
	}
	return shelltest.Start(w.t, shelltest.Options{Shell: kind, Env: w.env, Dir: w.home, RC: rc, Timeout: 30 * time.Second})
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// credVars are the variables no role credentials may hide in.
var credVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "AWS_SESSION_EXPIRATION", "AWSROLE_ROLE"}

// assertNoCredentials checks that the shell exports no credentials at all.
func assertNoCredentials(t *testing.T, env map[string]string) {
	t.Helper()
	for _, n := range append(credVars, "AWS_PROFILE", "AWS_DEFAULT_PROFILE") {
		if v, ok := env[n]; ok {
			t.Errorf("%s is still exported (%d bytes); want nothing exported", n, len(v))
		}
	}
}

// assertRole checks the exported variables of an active role.
func assertRole(t *testing.T, env map[string]string, role, region string) {
	t.Helper()
	if !strings.HasPrefix(env["AWS_ACCESS_KEY_ID"], "ASIA") {
		t.Errorf("AWS_ACCESS_KEY_ID = %q, want temporary (ASIA…) credentials", env["AWS_ACCESS_KEY_ID"])
	}
	if len(env["AWS_SECRET_ACCESS_KEY"]) != 40 || env["AWS_SESSION_TOKEN"] == "" {
		t.Errorf("secret (%d bytes) and token (%d bytes) must travel with the key", len(env["AWS_SECRET_ACCESS_KEY"]), len(env["AWS_SESSION_TOKEN"]))
	}
	if env["AWS_SECURITY_TOKEN"] != env["AWS_SESSION_TOKEN"] {
		t.Errorf("AWS_SECURITY_TOKEN differs from AWS_SESSION_TOKEN")
	}
	exp, err := time.Parse(time.RFC3339, env["AWS_CREDENTIAL_EXPIRATION"])
	if err != nil || !exp.After(time.Now()) {
		t.Errorf("AWS_CREDENTIAL_EXPIRATION = %q: want a future RFC 3339 time (%v)", env["AWS_CREDENTIAL_EXPIRATION"], err)
	}
	if env["AWS_SESSION_EXPIRATION"] != env["AWS_CREDENTIAL_EXPIRATION"] {
		t.Errorf("AWS_SESSION_EXPIRATION = %q, want %q", env["AWS_SESSION_EXPIRATION"], env["AWS_CREDENTIAL_EXPIRATION"])
	}
	if env["AWS_REGION"] != region || env["AWS_DEFAULT_REGION"] != region {
		t.Errorf("AWS_REGION = %q, AWS_DEFAULT_REGION = %q, want %q", env["AWS_REGION"], env["AWS_DEFAULT_REGION"], region)
	}
	if env["AWSROLE_ROLE"] != role {
		t.Errorf("AWSROLE_ROLE = %q, want %q", env["AWSROLE_ROLE"], role)
	}
	for _, n := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if _, ok := env[n]; ok {
			t.Errorf("%s is exported inside a project; it would compete with the role", n)
		}
	}
}

func wantOutput(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Errorf("output does not say %q:\n%s", want, out)
	}
}
