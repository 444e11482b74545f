package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awsrole/awsrole/internal/testenv"
)

// TestDemo runs `make demo`'s walkthrough and checks it shows what it says.
func TestDemo(t *testing.T) {
	testenv.Tool(t, "/usr/bin/aws")
	cmd := exec.Command("../scripts/demo.sh")
	cmd.Env = append(cmd.Environ(), "BIN_DIR="+filepath.Dir(awsroleBin))
	b, err := cmd.CombinedOutput()
	out := string(b)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	steps := []string{
		"AWS_PROFILE=personal",
		"/src/infra/.awsrole.toml is not allowed; run 'awsrole allow' to trust it",
		"awsrole: assumed arn:aws:iam::222222222222:role/deploy (ap-east-1) until ",
		"arn:aws:sts::222222222222:assumed-role/deploy/alice-infra",
		"awsrole: assumed arn:aws:iam::333333333333:role/prod-admin (eu-west-1) until ",
		"arn:aws:sts::333333333333:assumed-role/prod-admin/alice-prod",
		"awsrole: unloaded",
		"AWS_PROFILE=personal\nAWS_SECURITY_TOKEN=stale-token-from-another-tool",
	}
	rest := out
	for _, s := range steps {
		i := strings.Index(rest, s)
		if i < 0 {
			t.Fatalf("the demo does not show %q (in order):\n%s", s, out)
		}
		rest = rest[i+len(s):]
	}
	for _, secret := range []string{"demo/alice+secret", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN="} {
		if strings.Contains(out, secret) {
			t.Errorf("the demo prints %q", secret)
		}
	}
}
