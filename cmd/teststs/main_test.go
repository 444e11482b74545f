package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// The test binary doubles as the command: with TESTSTS_AS_MAIN=1 it runs
// main, so the tests exercise the real process (stdout, signals, exit code)
// without a separate go build.
func TestMain(m *testing.M) {
	if os.Getenv("TESTSTS_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

type proc struct {
	cmd    *exec.Cmd
	lines  *bufio.Scanner
	stderr *strings.Builder
	done   chan error
}

func startMain(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TESTSTS_AS_MAIN=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: bufio.NewScanner(out), stderr: &strings.Builder{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) line(t *testing.T) string {
	t.Helper()
	if !p.lines.Scan() {
		t.Fatalf("no output line; stderr: %s", p.stderr)
	}
	return p.lines.Text()
}

func (p *proc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		p.done <- nil // for the cleanup
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("still running after %v", within)
		return -1
	}
}

func TestServeDemoConfigUntilSIGTERM(t *testing.T) {
	p := startMain(t, "-config", "demo.toml", "-print-keys", "-v")
	url := p.line(t)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q is not the URL", url)
	}
	user := strings.Fields(p.line(t))
	if len(user) != 4 || user[0] != "user" || user[1] != "arn:aws:iam::111111111111:user/alice" || user[2] != "AKIADEMOALICE0000001" {
		t.Fatalf("user line %q", user)
	}
	cl := sts.New(sts.Options{
		Region: "ap-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(user[2], user[3], ""),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := cl.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::333333333333:role/prod-admin"), RoleSessionName: aws.String("demo"),
		SerialNumber: aws.String("arn:aws:iam::111111111111:mfa/alice"), TokenCode: aws.String("123456"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::333333333333:assumed-role/prod-admin/demo" {
		t.Errorf("assumed %q", got)
	}
	// Without MFA the demo's prod-admin role refuses.
	_, err = cl.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::333333333333:role/prod-admin"), RoleSessionName: aws.String("demo"),
	})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Errorf("without MFA: %v", err)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM; stderr: %s", code, p.stderr)
	}
	if log := p.stderr.String(); !strings.Contains(log, "AssumeRole key=AKIADEMOALICE0000001 region=ap-east-1") ||
		strings.Contains(log, user[3]) || strings.Contains(log, "123456") {
		t.Errorf("-v log %q: want requests, no secrets", log)
	}
}

func TestMaxLifetime(t *testing.T) {
	p := startMain(t, "-max-lifetime", "300ms")
	p.line(t)
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Errorf("exit %d; stderr: %s", code, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "-max-lifetime 300ms reached") {
		t.Errorf("stderr %q", p.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.toml")
	os.WriteFile(typo, []byte("[[user]]\nname = \"a\"\nacess_key_id = \"AKIA\"\n"), 0o600)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-nope"}, 2, "flag provided but not defined"},
		{[]string{"extra"}, 2, "unexpected arguments"},
		{[]string{"-addr", "0.0.0.0:0"}, 1, "only 127.0.0.1 is allowed"},
		{[]string{"-config", filepath.Join(dir, "missing.toml")}, 1, "no such file"},
		{[]string{"-config", typo}, 1, "unknown keys: user.acess_key_id"},
	}
	for _, c := range cases {
		var stdout, stderr strings.Builder
		code := run(context.Background(), c.args, &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.msg) || stdout.Len() != 0 {
			t.Errorf("%v: exit %d stdout %q stderr %q; want exit %d and %q", c.args, code, stdout.String(), stderr.String(), c.code, c.msg)
		}
	}
}
