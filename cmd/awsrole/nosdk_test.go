package main

import (
	"os/exec"
	"strings"
	"testing"
)

// awsrole runs at every prompt; linking the AWS SDK would cost each run
// milliseconds of initialisation and page faults. Only awsrole-sts may link it.
func TestDoesNotLinkSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/awsrole/awsrole/cmd/awsrole").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "github.com/awsrole/awsrole/hook/creds\n") {
		t.Fatalf("go list -deps does not list hook/creds; the check below would prove nothing:\n%s", out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/aws/") {
			t.Errorf("awsrole links %s; only awsrole-sts may link the AWS SDK", pkg)
		}
	}
}
