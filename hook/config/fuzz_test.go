package config

import (
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, and its errors are one line starting with
// the path. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodFile))
	f.Add([]byte("profile = 'p'\nregion = 'eu-west-1'\n"))
	f.Add([]byte("mfa_serial = 'arn:aws:iam::111111111111:mfa/alice'\nduration = 129600\n"))
	f.Add([]byte("a.b.c = [1, {x = 'y'}]\n[t]\n[[u]]\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		const p = "/fuzz/.awsrole.toml"
		file, err := Parse(p, content)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error is not one line: %q", msg)
			}
			if !strings.HasPrefix(msg, p+":") {
				t.Fatalf("error does not start with the path: %q", msg)
			}
			return
		}
		if file.Mode() == 0 {
			t.Fatalf("accepted a file with no mode: %+v", file)
		}
		if file.Mode() == ModeRole && file.AccountID() == "" {
			t.Fatalf("role without account: %q", file.RoleARN)
		}
		if _, err := ParseUser(p, content); err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("user error is not one line: %q", err)
		}
	})
}
