package teststs

// The real AWS CLI (Debian's awscli 2.9.19, botocore inside) against the
// server. Its environment is built from nothing so it reads no file and no
// variable of the machine running the tests.

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/awsrole/awsrole/internal/testenv"
)

// awsCLI runs /usr/bin/aws (not whatever aws is first on PATH) with only the
// given credentials and extra variables.
func awsCLI(t *testing.T, c Credentials, extraEnv []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	bin := testenv.Tool(t, "/usr/bin/aws")
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Dir = home
	cmd.Env = append([]string{
		"HOME=" + home,
		"PATH=/usr/bin:/bin",
		"LANG=C.UTF-8",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_DEFAULT_REGION=ap-east-1",
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CLI_AUTO_PROMPT=off",
		"AWS_MAX_ATTEMPTS=1",
	}, c.Env()...)
	cmd.Env = append(cmd.Env, extraEnv...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func TestCLIGetCallerIdentity(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	out, stderr, err := awsCLI(t, alice, nil, "--endpoint-url", s.URL(), "--output", "json", "sts", "get-caller-identity")
	if err != nil {
		t.Fatalf("aws: %v\n%s", err, stderr)
	}
	var id struct{ UserId, Account, Arn string }
	if err := json.Unmarshal([]byte(out), &id); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if id.Arn != "arn:aws:iam::123456789012:user/alice" || id.Account != DefaultAccount || !strings.HasPrefix(id.UserId, "AIDA") {
		t.Errorf("identity %+v", id)
	}
	r := s.Requests()
	if len(r) != 1 || r[0].Region != "ap-east-1" || !strings.HasPrefix(r[0].UserAgent, "aws-cli/") || r[0].AccessKeyID != alice.AccessKeyID {
		t.Errorf("log %+v", r)
	}
}

func TestCLISessionCredentials(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	s.AddRole(deployRole)
	sess := must[Credentials](t)(assumeRole(t, newClient(s, alice, "ap-east-1"),
		&sts.AssumeRoleInput{RoleArn: aws.String(deployRole), RoleSessionName: aws.String("cli")}))

	out, stderr, err := awsCLI(t, sess, nil, "--endpoint-url", s.URL(), "--output", "text", "--query", "Arn", "sts", "get-caller-identity")
	if err != nil {
		t.Fatalf("aws: %v\n%s", err, stderr)
	}
	if got := strings.TrimSpace(out); got != "arn:aws:sts::222222222222:assumed-role/deploy/cli" {
		t.Errorf("Arn = %q", got)
	}

	// Incident 1 of the design: botocore prefers AWS_SECURITY_TOKEN over
	// AWS_SESSION_TOKEN, so a stale one breaks the CLI while the Go SDK works.
	_, stderr, err = awsCLI(t, sess, []string{"AWS_SECURITY_TOKEN=stale-token-from-another-tool"},
		"--endpoint-url", s.URL(), "sts", "get-caller-identity")
	if err == nil || !strings.Contains(stderr, "(InvalidClientTokenId)") {
		t.Errorf("stale AWS_SECURITY_TOKEN: err=%v stderr=%q, want InvalidClientTokenId", err, stderr)
	}

	s.ExpireAll()
	_, stderr, err = awsCLI(t, sess, nil, "--endpoint-url", s.URL(), "sts", "get-caller-identity")
	if err == nil || !strings.Contains(stderr, "(ExpiredToken)") {
		t.Errorf("expired: err=%v stderr=%q, want ExpiredToken", err, stderr)
	}
}

func TestCLIAssumeRoleWithMFA(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	s.AddMFA(aliceMFA, "alice", "123456")
	s.AddRole(deployRole, RequireMFA(), MaxSessionDuration(2*time.Hour))
	out, stderr, err := awsCLI(t, alice, nil, "--endpoint-url", s.URL(), "--output", "json",
		"sts", "assume-role", "--role-arn", deployRole, "--role-session-name", "alice-cli",
		"--duration-seconds", "7200", "--serial-number", aliceMFA, "--token-code", "123456")
	if err != nil {
		t.Fatalf("aws: %v\n%s", err, stderr)
	}
	var res struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		AssumedRoleUser struct{ Arn string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if !strings.HasPrefix(res.Credentials.AccessKeyId, "ASIA") || res.AssumedRoleUser.Arn != "arn:aws:sts::222222222222:assumed-role/deploy/alice-cli" {
		t.Errorf("result %+v", res)
	}
	exp, err := time.Parse(time.RFC3339, res.Credentials.Expiration)
	if err != nil || time.Until(exp) < 2*time.Hour-time.Minute {
		t.Errorf("Expiration %q (%v)", res.Credentials.Expiration, err)
	}
	r := s.Requests()[0]
	if r.DurationSeconds != 7200 || r.SerialNumber != aliceMFA || r.RoleSessionName != "alice-cli" || r.Region != "ap-east-1" {
		t.Errorf("log %+v", r)
	}

	// The code was used: the CLI reports AWS's wording.
	_, stderr, err = awsCLI(t, alice, nil, "--endpoint-url", s.URL(),
		"sts", "assume-role", "--role-arn", deployRole, "--role-session-name", "alice-cli",
		"--serial-number", aliceMFA, "--token-code", "123456")
	// (With AWS_MAX_ATTEMPTS set the CLI adds "(reached max retries: 0)"
	// between the operation and the message.)
	if err == nil || !strings.Contains(stderr, "An error occurred (AccessDenied) when calling the AssumeRole operation") ||
		!strings.Contains(stderr, ": MultiFactorAuthentication failed with invalid MFA one time pass code.") {
		t.Errorf("reused code: err=%v stderr=%q", err, stderr)
	}
}

func TestCLIBadSignature(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	alice.SecretAccessKey = "not-the-secret"
	_, stderr, err := awsCLI(t, alice, nil, "--endpoint-url", s.URL(), "sts", "get-caller-identity")
	if err == nil || !strings.Contains(stderr, "(SignatureDoesNotMatch)") {
		t.Errorf("err=%v stderr=%q, want SignatureDoesNotMatch", err, stderr)
	}
	if s.Calls("GetCallerIdentity") != 1 {
		t.Errorf("the CLI retried or never arrived: %d calls", s.Calls("GetCallerIdentity"))
	}
}
