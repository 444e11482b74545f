package teststs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sts.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfig(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, `
credential_lifetime = "90s"
[[user]]
name = "alice"
access_key_id = "AKIAFIXEDALICE000001"
secret_access_key = "fixed/secret+0000000000000000000000000000"
[[user]]
name = "gen"
account = "555555555555"
[[user]]
root = true
account = "666666666666"
[[role]]
arn = "arn:aws:iam::222222222222:role/path/deploy"
max_session_duration = "2h"
external_id = "ext-1"
require_mfa = true
principals = ["arn:aws:iam::123456789012:user/alice"]
[[mfa]]
serial = "GAHT12345678"
user = "alice"
codes = ["000111"]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t)
	users, err := s.Apply(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 || users[0].Credentials.AccessKeyID != "AKIAFIXEDALICE000001" ||
		users[1].Arn != "arn:aws:iam::555555555555:user/gen" || !strings.HasPrefix(users[1].Credentials.AccessKeyID, "AKIA") ||
		users[2].Arn != "arn:aws:iam::666666666666:root" {
		t.Fatalf("users %+v", users)
	}
	c, err := assumeRole(t, newClient(s, users[0].Credentials, "eu-west-1"), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/path/deploy"), RoleSessionName: aws.String("cfg"),
		ExternalId: aws.String("ext-1"), SerialNumber: aws.String("GAHT12345678"), TokenCode: aws.String("000111"),
		DurationSeconds: aws.Int32(7200),
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(c.Expiration); d > 90*time.Second {
		t.Errorf("credential_lifetime ignored: %v", d)
	}
	if arn := must[string](t)(callerARN(t, newClient(s, c, "eu-west-1"))); arn != "arn:aws:sts::222222222222:assumed-role/deploy/cfg" {
		t.Errorf("arn %q", arn)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := map[string]string{
		"unknown key":  "[[role]]\narn = \"arn:aws:iam::222222222222:role/x\"\nrequire_mfa = true\nmax_session = \"2h\"\n",
		"bad role":     "[[role]]\narn = \"arn:aws:iam::2222:role/x\"\n",
		"role max":     "[[role]]\narn = \"arn:aws:iam::222222222222:role/x\"\nmax_session_duration = \"13h\"\n",
		"mfa no user":  "[[mfa]]\nserial = \"arn:aws:iam::123456789012:mfa/bob\"\nuser = \"bob\"\ncodes = [\"123456\"]\n",
		"mfa bad code": "[[user]]\nname = \"bob\"\n[[mfa]]\nserial = \"arn:aws:iam::123456789012:mfa/bob\"\nuser = \"bob\"\ncodes = [\"12345\"]\n",
		"key no AKIA":  "[[user]]\nname = \"bob\"\naccess_key_id = \"ASIAXXXXXXXXXXXXXXXX\"\nsecret_access_key = \"s\"\n",
		"no secret":    "[[user]]\nname = \"bob\"\naccess_key_id = \"AKIAXXXXXXXXXXXXXXXX\"\n",
		"dup user":     "[[user]]\nname = \"bob\"\n[[user]]\nname = \"bob\"\n",
		"bad lifetime": "credential_lifetime = \"soon\"\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, err := LoadConfig(writeConfig(t, text))
			if err == nil {
				_, err = New().Apply(cfg)
			}
			if err == nil {
				t.Errorf("config accepted:\n%s", text)
			}
		})
	}
}
