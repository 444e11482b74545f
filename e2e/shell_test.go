package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awsrole/awsrole/internal/testenv"
)

// TestCdAssumesAndLeavingRestores is the core promise, in each real shell:
// start with AWS_PROFILE and a stale AWS_SECURITY_TOKEN; an unallowed project
// exports nothing; allow it and the next prompt has the role, which the real
// AWS CLI uses; a second project switches, assumed from the user's own
// identity; leaving restores everything byte for byte.
func TestCdAssumesAndLeavingRestores(t *testing.T) {
	awsCLI := testenv.Tool(t, "/usr/bin/aws")
	for _, kind := range []string{"bash", "zsh", "fish"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			// Names a shell can trip over: spaces, both quotes, $, non-ASCII.
			a := w.project(`deploy 'it' "now" ünï`, "role_arn = \""+deployRole+"\"\nregion = \"ap-east-1\"\n")
			b := w.project(`audit $HOME x`, "role_arn = \""+auditRole+"\"\nregion = \"eu-west-1\"\n")
			if err := os.Mkdir(filepath.Join(a, "sub dir"), 0o700); err != nil {
				t.Fatal(err)
			}
			s := w.shell(kind)
			before := s.Env()

			// Below the project counts as inside it.
			out := s.Run("cd " + s.Quote(filepath.Join(a, "sub dir")))
			wantOutput(t, out, "awsrole: "+filepath.Join(a, ".awsrole.toml")+" is not allowed; run 'awsrole allow' to trust it")
			assertNoCredentials(t, s.Env())
			if n := w.sts.Calls("AssumeRole"); n != 0 {
				t.Fatalf("an unallowed file made %d AssumeRole calls", n)
			}

			out = s.Run(s.Quote(awsroleBin) + " allow")
			wantOutput(t, out, "awsrole: allowed "+filepath.Join(a, ".awsrole.toml"))
			wantOutput(t, out, "awsrole: assumed "+deployRole+" (ap-east-1) until ")
			env := s.Env()
			assertRole(t, env, deployRole, "ap-east-1")

			// The regional endpoint: the call was signed for ap-east-1, with
			// the user's own key from the dev profile.
			reqs := w.sts.Requests()
			if len(reqs) == 0 {
				t.Fatal("no STS request was made")
			}
			last := reqs[len(reqs)-1]
			if last.Action != "AssumeRole" || last.Region != "ap-east-1" || last.AccessKeyID != w.alice.AccessKeyID {
				t.Errorf("AssumeRole signed for %q with %q, want ap-east-1 with the dev profile's key", last.Region, last.AccessKeyID)
			}

			// The real AWS CLI, which reads AWS_SECURITY_TOKEN first, works
			// with what was exported.
			out = s.Run(s.Quote(awsCLI) + ` --endpoint-url "$AWS_ENDPOINT_URL_STS" sts get-caller-identity --query Arn --output text`)
			wantOutput(t, out, "arn:aws:sts::222222222222:assumed-role/deploy/")

			// Straight from A to B: B is assumed from alice's own key, never
			// from A's role credentials.
			out = s.Run("cd " + s.Quote(b))
			wantOutput(t, out, "awsrole: "+filepath.Join(b, ".awsrole.toml")+" is not allowed")
			assertNoCredentials(t, s.Env())
			out = s.Run(s.Quote(awsroleBin) + " allow")
			wantOutput(t, out, "awsrole: assumed "+auditRole+" (eu-west-1) until ")
			envB := s.Env()
			assertRole(t, envB, auditRole, "eu-west-1")
			if envB["AWS_ACCESS_KEY_ID"] == env["AWS_ACCESS_KEY_ID"] {
				t.Errorf("project B kept project A's key")
			}
			reqs = w.sts.Requests()
			if last := reqs[len(reqs)-1]; last.RoleArn != auditRole || last.AccessKeyID != w.alice.AccessKeyID {
				t.Errorf("B's role was assumed with %q, want alice's own key %q", last.AccessKeyID, w.alice.AccessKeyID)
			}

			// Back to A: the cache answers, no STS call.
			calls := w.sts.Calls("AssumeRole")
			out = s.Run("cd " + s.Quote(a))
			wantOutput(t, out, "awsrole: assumed "+deployRole)
			if n := w.sts.Calls("AssumeRole"); n != calls {
				t.Errorf("re-entering a project within its credentials' lifetime made %d STS calls", n-calls)
			}

			out = s.Run("cd " + s.Quote(w.home))
			wantOutput(t, out, "awsrole: unloaded")
			after := s.Env()
			for k, v := range before {
				if k == "OLDPWD" {
					continue
				}
				if after[k] != v {
					t.Errorf("after leaving, %s = %q, want %q as before entering", k, after[k], v)
				}
			}
			for k := range after {
				if _, ok := before[k]; !ok && k != "OLDPWD" {
					t.Errorf("after leaving, %s is exported; it was not before entering", k)
				}
			}
			if after["AWS_SECURITY_TOKEN"] != staleToken || after["AWS_PROFILE"] != "dev" {
				t.Errorf("the user's own AWS_PROFILE and AWS_SECURITY_TOKEN did not come back")
			}
		})
	}
}

// TestHandEditedVariableSurvivesLeaving: a variable the user changed inside
// a project is theirs; leaving must not overwrite it (direnv #1112).
func TestHandEditedVariableSurvivesLeaving(t *testing.T) {
	w := newWorld(t)
	w.allowedProject("infra", "role_arn = \""+deployRole+"\"\nregion = \"ap-east-1\"\n")
	s := w.shell("bash")
	wantOutput(t, s.Run("cd infra"), "awsrole: assumed ")
	s.Run("export AWS_REGION=us-west-2 AWS_PROFILE=mine")
	wantOutput(t, s.Run("cd .."), "awsrole: unloaded")
	env := s.Env()
	if env["AWS_REGION"] != "us-west-2" || env["AWS_PROFILE"] != "mine" {
		t.Errorf("hand-set AWS_REGION=%q AWS_PROFILE=%q were overwritten on leave", env["AWS_REGION"], env["AWS_PROFILE"])
	}
	if env["AWS_DEFAULT_REGION"] != "" || env["AWS_ACCESS_KEY_ID"] != "" {
		t.Errorf("variables the hook set were not removed: AWS_DEFAULT_REGION=%q", env["AWS_DEFAULT_REGION"])
	}
	if env["AWS_SECURITY_TOKEN"] != staleToken {
		t.Errorf("AWS_SECURITY_TOKEN was not restored")
	}
	if strings.Contains(s.Run("echo \"$AWSROLE_STATE\""), "AWS") {
		t.Errorf("AWSROLE_STATE still set after leaving")
	}
}
