package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/awsrole/awsrole/internal/shelltest"
	"github.com/awsrole/awsrole/internal/testenv"
)

// shellWithTimeout is world.shell with another bound on every wait.
func shellWithTimeout(w *world, kind string, d time.Duration) *shelltest.Session {
	w.t.Helper()
	rc := fmt.Sprintf(`eval "$(%s hook %s)"`, shQuote(awsroleBin), kind)
	if kind == "fish" {
		rc = fmt.Sprintf(`%s hook fish | source`, shQuote(awsroleBin))
	}
	return shelltest.Start(w.t, shelltest.Options{Shell: kind, Env: w.env, Dir: w.home, RC: rc, Timeout: d})
}

var (
	sdkCallerOnce sync.Once
	sdkCallerBin  string
	sdkCallerErr  error
)

// sdkCaller builds testdata/sdkcaller once: a Go program using aws-sdk-go-v2
// the way any Go tool run inside a project does.
func sdkCaller(t *testing.T) string {
	t.Helper()
	sdkCallerOnce.Do(func() {
		// Beside the binaries TestMain built, so that its clean-up removes it.
		sdkCallerBin = filepath.Join(filepath.Dir(awsroleBin), "sdkcaller")
		out, err := exec.Command("go", "build", "-o", sdkCallerBin, "./testdata/sdkcaller").CombinedOutput()
		if err != nil {
			sdkCallerErr = err
			t.Logf("%s", out)
		}
	})
	if sdkCallerErr != nil {
		t.Fatalf("build sdkcaller: %v", sdkCallerErr)
	}
	return sdkCallerBin
}

// TestInteropCLIAndSDK: what awsrole exports works unchanged with the real
// AWS CLI (botocore reads AWS_SECURITY_TOKEN before AWS_SESSION_TOKEN) and
// with the Go SDK (which reads only AWS_SESSION_TOKEN), in each real shell,
// although a stale AWS_SECURITY_TOKEN from another tool was exported before
// entering (the fixture's login environment has one). The CLI is also run
// with the stale token put back by hand for that one command, to prove that
// it really reads AWS_SECURITY_TOKEN first: otherwise the test would pass
// whatever awsrole did with the token.
func TestInteropCLIAndSDK(t *testing.T) {
	awsCLI := testenv.Tool(t, "/usr/bin/aws")
	sdk := sdkCaller(t)
	for _, kind := range shellKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			dir := w.project("infra", deployFile)
			if out, err := w.awsrole(dir, "allow"); err != nil {
				t.Fatalf("allow: %v\n%s", err, out)
			}
			// The AWS CLI is a Python program that takes seconds to start on
			// a busy machine: a longer bound than the fixture's 30 s.
			s := shellWithTimeout(w, kind, 2*time.Minute)
			cli := s.Quote(awsCLI) + ` --endpoint-url "$AWS_ENDPOINT_URL_STS" sts get-caller-identity --query Arn --output text`
			s.Run("cd infra")
			env := s.Env()
			assertRole(t, env, deployRole, "ap-east-1")
			if env["AWS_SECURITY_TOKEN"] == staleToken {
				t.Fatal("the stale AWS_SECURITY_TOKEN survived inside the project")
			}
			wantOutput(t, s.Run(cli), "arn:aws:sts::222222222222:assumed-role/deploy/")
			wantOutput(t, s.Run(s.Quote(sdk)), "sdk arn: arn:aws:sts::222222222222:assumed-role/deploy/")
			wantOutput(t, s.Run("AWS_SECURITY_TOKEN="+s.Quote(staleToken)+" "+cli), "InvalidClientTokenId")
			// Every call was signed with the exported role key.
			for _, r := range w.sts.Requests() {
				if r.Action == "GetCallerIdentity" && r.AccessKeyID != env["AWS_ACCESS_KEY_ID"] {
					t.Errorf("GetCallerIdentity signed with %q, want the role's key %q", r.AccessKeyID, env["AWS_ACCESS_KEY_ID"])
				}
			}
		})
	}
}
