package doctor

import (
	"reflect"
	"testing"
)

func TestParseProfiles(t *testing.T) {
	cfg := ParseProfiles([]byte(`# comment
[default]
region = eu-west-1
[profile dev]
Region=ap-east-1
s3 =
  max_concurrent_requests = 20
; another comment
[sso-session corp]
sso_region = eu-west-1
[services local]
[stray]
key = value
[ profile  spaced ]
sts_regional_endpoints = legacy
`), false)
	want := Profiles{
		"default": {"region": "eu-west-1"},
		"dev":     {"region": "ap-east-1", "s3": ""},
		"spaced":  {"sts_regional_endpoints": "legacy"},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config profiles %v, want %v", cfg, want)
	}
	creds := ParseProfiles([]byte("[dev]\naws_access_key_id = AKIA\n[profile x]\n"), true)
	if !creds.Has("dev") || !creds.Has("profile x") || creds.Has("x") {
		t.Errorf("credentials profiles %v: sections are names as written", creds)
	}
}

func TestOptIn(t *testing.T) {
	for r, want := range map[string]bool{"ap-east-1": true, "me-south-1": true, "af-south-1": true, "us-east-1": false, "eu-west-1": false, "": false} {
		if OptIn(r) != want {
			t.Errorf("OptIn(%q) = %v", r, !want)
		}
	}
}
