package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	testPath = "/p/.awsrole.toml"
	roleARN  = "arn:aws:iam::123456789012:role/deploy"
	mfaARN   = "arn:aws:iam::111111111111:mfa/alice"
)

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     File
		mode     Mode
		account  string
	}{
		{
			name: "design example",
			in: `# .awsrole.toml
role_arn       = "arn:aws:iam::123456789012:role/deploy"
source_profile = "default"
mfa_serial     = "arn:aws:iam::111111111111:mfa/alice"
region         = "ap-east-1"
sts_region     = "ap-northeast-1"
duration       = "1h"
session_name   = "alice-infra"
external_id    = "ext-123/abc:def"
`,
			want: File{RoleARN: roleARN, SourceProfile: "default", MFASerial: mfaARN, Region: "ap-east-1",
				STSRegion: "ap-northeast-1", Duration: time.Hour, SessionName: "alice-infra", ExternalID: "ext-123/abc:def"},
			mode: ModeRole, account: "123456789012",
		},
		{name: "role only", in: `role_arn = "` + roleARN + `"`, want: File{RoleARN: roleARN}, mode: ModeRole, account: "123456789012"},
		{name: "sts region defaults to region", in: "role_arn = '" + roleARN + "'\nregion = 'us-east-1'",
			want: File{RoleARN: roleARN, Region: "us-east-1", STSRegion: "us-east-1"}, mode: ModeRole, account: "123456789012"},
		{name: "aws-global only when written", in: "role_arn = '" + roleARN + "'\nregion = 'ap-east-1'\nsts_region = 'aws-global'",
			want: File{RoleARN: roleARN, Region: "ap-east-1", STSRegion: "aws-global"}, mode: ModeRole, account: "123456789012"},
		{name: "role with path", in: `role_arn = "arn:aws:iam::123456789012:role/team/ops/deploy+x=y,z.@-"`,
			want: File{RoleARN: "arn:aws:iam::123456789012:role/team/ops/deploy+x=y,z.@-"}, mode: ModeRole, account: "123456789012"},
		{name: "china partition", in: `role_arn = "arn:aws-cn:iam::123456789012:role/r"`,
			want: File{RoleARN: "arn:aws-cn:iam::123456789012:role/r"}, mode: ModeRole, account: "123456789012"},
		{name: "govcloud partition and region", in: "role_arn = 'arn:aws-us-gov:iam::123456789012:role/r'\nregion = 'us-gov-west-1'",
			want: File{RoleARN: "arn:aws-us-gov:iam::123456789012:role/r", Region: "us-gov-west-1", STSRegion: "us-gov-west-1"}, mode: ModeRole, account: "123456789012"},
		{name: "sovereign cloud region", in: "role_arn = 'arn:aws-eusc:iam::123456789012:role/r'\nregion = 'eusc-de-east-1'",
			want: File{RoleARN: "arn:aws-eusc:iam::123456789012:role/r", Region: "eusc-de-east-1", STSRegion: "eusc-de-east-1"}, mode: ModeRole, account: "123456789012"},
		{name: "profile", in: "profile = 'prod-admin'\nregion = 'eu-west-1'", want: File{Profile: "prod-admin", Region: "eu-west-1", STSRegion: "eu-west-1"}, mode: ModeProfile},
		{name: "profile with duration", in: "profile = 'p'\nduration = '2h'", want: File{Profile: "p", Duration: 2 * time.Hour}, mode: ModeProfile},
		{name: "mfa serial alone", in: "mfa_serial = '" + mfaARN + "'", want: File{MFASerial: mfaARN}, mode: ModeSessionToken, account: "111111111111"},
		{name: "mfa serial alone with source profile", in: "mfa_serial = '" + mfaARN + "'\nsource_profile = 'base'", want: File{MFASerial: mfaARN, SourceProfile: "base"}, mode: ModeSessionToken, account: "111111111111"},
		{name: "mfa device with path", in: "mfa_serial = 'arn:aws:iam::111111111111:mfa/team/alice'", want: File{MFASerial: "arn:aws:iam::111111111111:mfa/team/alice"}, mode: ModeSessionToken, account: "111111111111"},
		{name: "hardware token", in: "mfa_serial = 'GAHT12345678'\nduration = 129600", want: File{MFASerial: "GAHT12345678", Duration: 36 * time.Hour}, mode: ModeSessionToken},
		{name: "session token 36h", in: "mfa_serial = '" + mfaARN + "'\nduration = '36h'", want: File{MFASerial: mfaARN, Duration: 36 * time.Hour}, mode: ModeSessionToken, account: "111111111111"},
		{name: "root device 1h", in: "mfa_serial = 'arn:aws:iam::111111111111:mfa/root-account-mfa-device'\nduration = 3600",
			want: File{MFASerial: "arn:aws:iam::111111111111:mfa/root-account-mfa-device", Duration: time.Hour}, mode: ModeSessionToken, account: "111111111111"},
		{name: "root device without name", in: "mfa_serial = 'arn:aws:iam::111111111111:mfa/'\nduration = '15m'",
			want: File{MFASerial: "arn:aws:iam::111111111111:mfa/", Duration: 15 * time.Minute}, mode: ModeSessionToken, account: "111111111111"},
		{name: "duration integer seconds", in: "role_arn = '" + roleARN + "'\nduration = 900", want: File{RoleARN: roleARN, Duration: 900 * time.Second}, mode: ModeRole, account: "123456789012"},
		{name: "duration digit string", in: "role_arn = '" + roleARN + "'\nduration = '43200'", want: File{RoleARN: roleARN, Duration: 12 * time.Hour}, mode: ModeRole, account: "123456789012"},
		{name: "duration go string", in: "role_arn = '" + roleARN + "'\nduration = '1h30m'", want: File{RoleARN: roleARN, Duration: 90 * time.Minute}, mode: ModeRole, account: "123456789012"},
		{name: "quoted keys and comments", in: "# c\n\"role_arn\" = '" + roleARN + "' # trailing\n", want: File{RoleARN: roleARN}, mode: ModeRole, account: "123456789012"},
		{name: "utf-8 bom", in: "\ufeffrole_arn = '" + roleARN + "'", want: File{RoleARN: roleARN}, mode: ModeRole, account: "123456789012"},
		{name: "crlf", in: "role_arn = '" + roleARN + "'\r\nregion = 'us-east-1'\r\n", want: File{RoleARN: roleARN, Region: "us-east-1", STSRegion: "us-east-1"}, mode: ModeRole, account: "123456789012"},
		{name: "session name limits", in: "role_arn = '" + roleARN + "'\nsession_name = '" + strings.Repeat("a", 64) + "'", want: File{RoleARN: roleARN, SessionName: strings.Repeat("a", 64)}, mode: ModeRole, account: "123456789012"},
		{name: "external id long", in: "role_arn = '" + roleARN + "'\nexternal_id = '" + strings.Repeat("x", 1224) + "'", want: File{RoleARN: roleARN, ExternalID: strings.Repeat("x", 1224)}, mode: ModeRole, account: "123456789012"},
		{name: "unicode profile name", in: "profile = 'prod-é'", want: File{Profile: "prod-é"}, mode: ModeProfile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(testPath, []byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := tt.want
			want.Path, want.Dir, want.Content = testPath, "/p", f.Content
			if string(f.Content) != tt.in {
				t.Errorf("Content = %q, want the input", f.Content)
			}
			if !equalFile(f, &want) {
				t.Errorf("got  %+v\nwant %+v", *f, want)
			}
			if f.Mode() != tt.mode {
				t.Errorf("Mode = %v, want %v", f.Mode(), tt.mode)
			}
			if f.AccountID() != tt.account {
				t.Errorf("AccountID = %q, want %q", f.AccountID(), tt.account)
			}
		})
	}
}

func equalFile(a, b *File) bool {
	return reflect.DeepEqual(a, b)
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	role := "role_arn = '" + roleARN + "'\n"
	user := displayPath(UserPath())
	valid := "valid keys are role_arn, source_profile, profile, mfa_serial, region, sts_region, duration, session_name, external_id"
	tests := []struct{ name, in, want string }{
		// unknown keys and suggestions
		{"dash", `role-arn = "x"`, `:1: unknown key "role-arn" (did you mean "role_arn"?)`},
		{"no underscore", `rolearn = "x"`, `:1: unknown key "rolearn" (did you mean "role_arn"?)`},
		{"transposed", role + `regoin = "x"`, `:2: unknown key "regoin" (did you mean "region"?)`},
		{"case", `Role_ARN = "x"`, `:1: unknown key "Role_ARN" (did you mean "role_arn"?)`},
		{"aws config name", role + `role_session_name = "x"`, `:2: unknown key "role_session_name" (did you mean "session_name"?)`},
		{"duration_seconds", role + `duration_seconds = 900`, `:2: unknown key "duration_seconds" (did you mean "duration"?)`},
		{"typo external", role + `externalid = "x"`, `:2: unknown key "externalid" (did you mean "external_id"?)`},
		{"nothing close", role + `xyzzy = 1`, `:2: unknown key "xyzzy"; ` + valid},
		{"long key quoted and cut", strings.Repeat("k", 60) + " = 1", `:1: unknown key "` + strings.Repeat("k", 40) + `"...; ` + valid},
		{"control char key", `"a\u0007b" = 1`, `:1: unknown key "a\ab"; ` + valid},
		{"table", role + "[extra]\nx = 1", `:2: unknown key "extra"; ` + valid},
		{"dotted key", role + "\n\na.b.c = 1", `:4: unknown key "a"; ` + valid},
		{"array of tables", role + "[[x]]\n", `:2: unknown key "x"; ` + valid},
		// keys that belong elsewhere
		{"mfa_process", role + `mfa_process = "ykman oath accounts code"`, `:2: "mfa_process" belongs in the user config (` + user + `), never in a directory file`},
		{"allowed_accounts", role + `allowed_accounts = ["123456789012"]`, `:2: "allowed_accounts" belongs in the user config (` + user + `), never in a directory file`},
		{"refresh_margin", role + `refresh_margin = "1m"`, `:2: "refresh_margin" belongs in the user config (` + user + `), never in a directory file`},
		{"sts_timeout", role + `sts_timeout = 3`, `:2: "sts_timeout" belongs in the user config (` + user + `), never in a directory file`},
		{"mfa_session_duration", role + `mfa_session_duration = "1h"`, `:2: "mfa_session_duration" belongs in the user config (` + user + `), never in a directory file`},
		{"credential_process", `credential_process = "/bin/evil"`, `:1: "credential_process" cannot be used in a directory file; define it in a profile in ~/.aws/config and write profile = "<name>"`},
		{"secret key", role + `aws_secret_access_key = "SECRETSECRET"`, `:2: "aws_secret_access_key": credentials never go in a directory file; keep them in ~/.aws/credentials and name that profile with source_profile`},
		{"access key", `aws_access_key_id = "AKIAXXXXXXXX"`, `:1: "aws_access_key_id": credentials never go in a directory file; keep them in ~/.aws/credentials and name that profile with source_profile`},
		// types
		{"region integer", role + "region = 5", `:2: region must be a string, not an integer`},
		{"role float", "role_arn = 1.5", `:1: role_arn must be a string, not a float`},
		{"bool", "profile = true", `:1: profile must be a string, not a boolean`},
		{"date", "profile = 1979-05-27", `:1: profile must be a string, not a date or time`},
		{"array", `role_arn = ["a"]`, `:1: role_arn must be a string, not an array`},
		{"inline table", `role_arn = {a = "b"}`, `:1: role_arn must be a string, not a table`},
		{"table header", "[role_arn]\narn = 'x'", `:1: role_arn must be a string, not a table`},
		{"dotted known key", role + "region.name = 'x'", `:2: region must be a string, not a table`},
		{"duration float", role + "duration = 1.5", `:2: duration must be a duration string like "1h" or a number of seconds, not a float`},
		{"duration bool", role + "duration = true", `:2: duration must be a duration string like "1h" or a number of seconds, not a boolean`},
		{"empty", role + "region = ''", `:2: region is empty; give it a value or remove the line`},
		{"control char", role + `source_profile = "a\nb"`, `:2: source_profile contains a control character`},
		{"bidi override", role + `source_profile = "a\u202eb"`, `:2: source_profile contains a control character`},
		// toml syntax
		{"duplicate", role + "region = 'us-east-1'\nregion = 'us-east-2'", `:3: duplicate key "region"`},
		{"unterminated", `role_arn = "abc`, `:1: invalid toml: unexpected EOF; expected '"'`},
		{"newline in string", "role_arn = \"abc\nregion='x'", `:1: invalid toml: strings cannot contain newlines`},
		{"bare value", "role_arn = arn", `:1: invalid toml: expected a value; strings must be quoted, as in key = "value"`},
		{"bare secret", `aws_secret_access_key = SECRETwJalrXUtnFEMI/K7MDENG`, `:1: invalid toml: expected a value; strings must be quoted, as in key = "value"`},
		{"bad datetime cut", `external_id = 1979-05-27T99:99:99`, `:1: invalid toml: invalid datetime: "1979-05-..."`},
		{"raw control char", role + "region = \"a\x01\"", `:2: invalid toml: toml files cannot contain control characters: '0x01'`},
		{"nul byte", role + "x\x00", `:2: binary data (a nul byte); the file must be utf-8 text`},
		{"utf-16", "\xff\xfer\x00o\x00", `:1: binary data (a nul byte); the file must be utf-8 text`},
		{"invalid utf-8", role + "\n# \xff\xfe", `:3: invalid utf-8 (binary data?); the file must be utf-8 text`},
		{"deep brackets", "x = " + strings.Repeat("[", 9) + strings.Repeat("]", 9), `:1: nested more than 8 levels deep; only top-level keys are allowed`},
		{"deep inline tables", "x = " + strings.Repeat("{a=", 20000), `:1: nested more than 8 levels deep; only top-level keys are allowed`},
		{"deep dotted key", role + strings.Repeat("a.", 30000) + "a = 1", `:2: nested more than 8 levels deep; only top-level keys are allowed`},
		{"deep table header", "[" + strings.Repeat("a.", 9) + "a]", `:1: nested more than 8 levels deep; only top-level keys are allowed`},
		// mode
		{"no mode", "region = 'us-east-1'", `: no role_arn, profile or mfa_serial; write one of role_arn = "arn:aws:iam::<account>:role/<name>", profile = "<name>" or mfa_serial = "<mfa device arn>"`},
		{"empty file", "", `: no role_arn, profile or mfa_serial; write one of role_arn = "arn:aws:iam::<account>:role/<name>", profile = "<name>" or mfa_serial = "<mfa device arn>"`},
		{"source profile alone", "source_profile = 'x'", `: no role_arn, profile or mfa_serial; write one of role_arn = "arn:aws:iam::<account>:role/<name>", profile = "<name>" or mfa_serial = "<mfa device arn>"`},
		{"profile and role", role + "profile = 'p'", `:2: profile and role_arn cannot be combined; write only role_arn (with source_profile for the base credentials) or only profile`},
		{"profile and source", "profile = 'p'\nsource_profile = 's'", `:2: source_profile cannot be combined with profile; set it in that profile's section of ~/.aws/config instead`},
		{"profile and mfa", "profile = 'p'\nmfa_serial = '" + mfaARN + "'", `:2: mfa_serial cannot be combined with profile; set it in that profile's section of ~/.aws/config instead`},
		{"profile and external id", "profile = 'p'\nexternal_id = 'abc'", `:2: external_id cannot be combined with profile; set it in that profile's section of ~/.aws/config instead`},
		{"profile and session name", "profile = 'p'\nsession_name = 'abc'", `:2: session_name cannot be combined with profile; set it in that profile's section of ~/.aws/config instead`},
		{"mfa alone and external id", "mfa_serial = '" + mfaARN + "'\nexternal_id = 'abc'", `:2: external_id needs role_arn; it is only used when assuming a role`},
		{"mfa alone and session name", "mfa_serial = '" + mfaARN + "'\nsession_name = 'abc'", `:2: session_name needs role_arn; it is only used when assuming a role`},
		// shapes
		{"role short account", "role_arn = 'arn:aws:iam::12345:role/x'", `:1: role_arn "arn:aws:iam::12345:role/x" is not an iam role arn; write arn:aws:iam::<12-digit account>:role/<name>`},
		{"role user arn", "role_arn = 'arn:aws:iam::123456789012:user/x'", `:1: role_arn "arn:aws:iam::123456789012:user/x" is not an iam role arn; write arn:aws:iam::<12-digit account>:role/<name>`},
		{"role bad partition", "role_arn = 'arn:azure:iam::123456789012:role/x'", `:1: role_arn "arn:azure:iam::123456789012:role/x" is not an iam role arn; write arn:aws:iam::<12-digit account>:role/<name>`},
		{"role no name", "role_arn = 'arn:aws:iam::123456789012:role/'", `:1: role_arn "arn:aws:iam::123456789012:role/" is not an iam role arn; write arn:aws:iam::<12-digit account>:role/<name>`},
		{"role name too long", "role_arn = 'arn:aws:iam::123456789012:role/" + strings.Repeat("n", 65) + "'", `:1: role_arn "arn:aws:iam::123456789012:role/nnnnnnnnn"... is not an iam role arn; write arn:aws:iam::<12-digit account>:role/<name>`},
		{"assumed role", "role_arn = 'arn:aws:sts::123456789012:assumed-role/x/s'", `:1: role_arn "arn:aws:sts::123456789012:assumed-role/x"... is a role session arn; write the role's arn: arn:aws:iam::<12-digit account>:role/<name>`},
		{"mfa root user arn", "mfa_serial = 'arn:aws:iam::123456789012:root'", `:1: mfa_serial "arn:aws:iam::123456789012:root" is the root user's arn, not its mfa device; write arn:aws:iam::<account>:mfa/root-account-mfa-device or the device arn shown in the iam console`},
		{"mfa user arn", "mfa_serial = 'arn:aws:iam::123456789012:user/alice'", `:1: mfa_serial "arn:aws:iam::123456789012:user/alice" is not an mfa device arn; write arn:aws:iam::<12-digit account>:mfa/<device name>`},
		{"mfa short serial", "mfa_serial = 'GAHT1'", `:1: mfa_serial "GAHT1" is not an mfa device; write arn:aws:iam::<12-digit account>:mfa/<device name> or a hardware token serial (9 to 256 of a-z A-Z 0-9 _ + = / : , . @ -)`},
		{"mfa spaces", "mfa_serial = 'GAHT 12345678'", `:1: mfa_serial "GAHT 12345678" is not an mfa device; write arn:aws:iam::<12-digit account>:mfa/<device name> or a hardware token serial (9 to 256 of a-z A-Z 0-9 _ + = / : , . @ -)`},
		{"region shape", role + "region = 'US-EAST-1'", `:2: region "US-EAST-1" is not a region name; write e.g. "us-east-1"`},
		{"region global", role + "region = 'aws-global'", `:2: region "aws-global" is not a region name; write e.g. "us-east-1"`},
		{"sts region shape", role + "sts_region = 'global'", `:2: sts_region "global" is not a region name; write e.g. "us-east-1", or "aws-global" for the global endpoint`},
		{"profile spaces", "profile = ' p'", `:1: profile " p" has leading or trailing spaces`},
		{"session name short", role + "session_name = 'a'", `:2: session_name "a" is invalid; use 2 to 64 of the characters a-z A-Z 0-9 _ + = , . @ -`},
		{"session name long", role + "session_name = '" + strings.Repeat("a", 65) + "'", `:2: session_name "` + strings.Repeat("a", 40) + `"... is invalid; use 2 to 64 of the characters a-z A-Z 0-9 _ + = , . @ -`},
		{"session name space", role + "session_name = 'a b'", `:2: session_name "a b" is invalid; use 2 to 64 of the characters a-z A-Z 0-9 _ + = , . @ -`},
		{"external id space, value not echoed", role + "external_id = 'secret value'", `:2: external_id is invalid; use 2 to 1224 of the characters a-z A-Z 0-9 _ + = , . @ : / -`},
		{"external id too long", role + "external_id = '" + strings.Repeat("x", 1225) + "'", `:2: external_id is invalid; use 2 to 1224 of the characters a-z A-Z 0-9 _ + = , . @ : / -`},
		// durations
		{"role too short", role + "duration = '14m59s'", `:2: duration 14m59s is out of range for a role; write 15m to 12h (900 to 43200 seconds)`},
		{"role too long", role + "duration = 43201", `:2: duration 12h1s is out of range for a role; write 15m to 12h (900 to 43200 seconds)`},
		{"role with mfa too long", role + "mfa_serial = '" + mfaARN + "'\nduration = '36h'", `:3: duration 36h is out of range for a role; write 15m to 12h (900 to 43200 seconds)`},
		{"profile too long", "profile = 'p'\nduration = '13h'", `:2: duration 13h is out of range for a profile; write 15m to 12h (900 to 43200 seconds)`},
		{"session too long", "mfa_serial = '" + mfaARN + "'\nduration = 129601", `:2: duration 36h1s is out of range for an mfa session (mfa_serial alone); write 15m to 36h (900 to 129600 seconds)`},
		{"session too short", "mfa_serial = '" + mfaARN + "'\nduration = '10m'", `:2: duration 10m is out of range for an mfa session (mfa_serial alone); write 15m to 36h (900 to 129600 seconds)`},
		{"root too long", "mfa_serial = 'arn:aws:iam::111111111111:mfa/root-account-mfa-device'\nduration = '2h'", `:2: duration 2h is out of range for the root user's mfa session; write 15m to 1h (900 to 3600 seconds)`},
		{"root no name too long", "mfa_serial = 'arn:aws:iam::111111111111:mfa/'\nduration = 3601", `:2: duration 1h1s is out of range for the root user's mfa session; write 15m to 1h (900 to 3600 seconds)`},
		{"duration zero", role + "duration = 0", `:2: duration must be more than 0s; remove it to use the default`},
		{"duration negative int", role + "duration = -5", `:2: duration -5 is out of range`},
		{"duration negative string", role + "duration = '-1h'", `:2: duration "-1h" is negative`},
		{"duration fraction", role + "duration = '1.5s'", `:2: duration 1.5s is not a whole number of seconds`},
		{"duration junk", role + "duration = 'one hour'", `:2: duration "one hour" is not a duration; write e.g. "1h", "90m" or a number of seconds`},
		{"duration huge digits", role + "duration = '99999999999999999999'", `:2: duration "99999999999999999999" is out of range`},
		{"duration huge int", role + "duration = 9999999999999", `:2: duration 9999999999999 is out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(testPath, []byte(tt.in))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", *f)
			}
			if got, want := err.Error(), testPath+tt.want; got != want {
				t.Errorf("error\n got: %s\nwant: %s", got, want)
			}
			checkErrStyle(t, err)
		})
	}
}

// checkErrStyle: one line, starts with the path, no secret-looking value.
func checkErrStyle(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error is not one line: %q", msg)
	}
	if strings.Contains(msg, "SECRET") || strings.Contains(msg, "secret value") {
		t.Errorf("error echoes a secret: %q", msg)
	}
}

func TestParseIsFast(t *testing.T) {
	t.Parallel()
	// Shapes that make the TOML parser quadratic must be refused before it
	// runs.
	inputs := []string{
		"x = " + strings.Repeat("{a=", 21000),
		strings.Repeat("a.", 32000) + "a = 1",
		"[" + strings.Repeat("a.", 32000) + "a]",
		"x = " + strings.Repeat("[", 64000),
		strings.Repeat("[[a]]\n", 10000),
		"x = [" + strings.Repeat("{a=1},", 10000) + "]",
		"x = {" + strings.Repeat("a = 1, ", 9000) + "}",
	}
	for _, in := range inputs {
		start := time.Now()
		_, err := Parse(testPath, []byte(in))
		if err == nil {
			t.Errorf("accepted %.40q", in)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%.40q took %v", in, d)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	f, err := Parse("/a/b/.awsrole.toml", []byte("role_arn = '"+roleARN+"'"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Dir != "/a/b" || f.Path != "/a/b/.awsrole.toml" {
		t.Errorf("Path, Dir = %q, %q", f.Path, f.Dir)
	}
	if f.Duration != 0 || f.STSRegion != "" || f.Region != "" || f.SessionName != "" {
		t.Errorf("unexpected defaults: %+v", *f)
	}
}

func TestRootMFASerial(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"arn:aws:iam::123456789012:mfa/root-account-mfa-device":    true,
		"arn:aws-cn:iam::123456789012:mfa/root-account-mfa-device": true,
		"arn:aws:iam::123456789012:mfa/":                           true,
		"arn:aws:iam::123456789012:mfa/alice":                      false,
		"arn:aws:iam::123456789012:mfa/root":                       false,
		"arn:aws:iam::123456789012:root":                           false,
		"GAHT12345678":                                             false,
		"":                                                         false,
	} {
		if got := IsRootMFASerial(s); got != want {
			t.Errorf("IsRootMFASerial(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDefaultSessionName(t *testing.T) {
	t.Parallel()
	tests := []struct{ user, dir, want string }{
		{"alice", "/home/alice/src/infra", "alice-infra"},
		{"alice", "/", "alice"},
		{"", "/srv/app", "awsrole-app"},
		{"", "", "awsrole"},
		{"a", "", "a-awsrole"},
		{"jean pierre", "/x/my project (2)", "jean_pierre-my_project__2"},
		{"josé", "/x/café", "jos-caf"},
		{"DOMAIN\\bob", "/x/y", "DOMAIN_bob-y"},
		{strings.Repeat("u", 40), "/x/" + strings.Repeat("d", 80), strings.Repeat("u", 32) + "-" + strings.Repeat("d", 31)},
		{"a", "/x/ü", "a-awsrole"},
		{"alice", "/x/.hidden", "alice-.hidden"},
	}
	for _, tt := range tests {
		got := DefaultSessionName(tt.user, tt.dir)
		if got != tt.want {
			t.Errorf("DefaultSessionName(%q, %q) = %q, want %q", tt.user, tt.dir, got, tt.want)
		}
		if !sessionNameRe().MatchString(got) || len(got) < 2 || len(got) > 64 {
			t.Errorf("DefaultSessionName(%q, %q) = %q is not a valid session name", tt.user, tt.dir, got)
		}
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"role-arn": "role_arn", "rolearn": "role_arn", "regoin": "region", "REGION": "region",
		"sts-region": "sts_region", "mfaserial": "mfa_serial", "sessionname": "session_name",
		"role": "role_arn", "durration": "duration", "profle": "profile", "source-profile": "source_profile",
		"xyzzy": "", "a": "", "zone": "",
	} {
		if got := suggest(key, fileKeys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
}
