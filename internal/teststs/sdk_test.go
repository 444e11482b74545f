package teststs

// End-to-end tests through the real aws-sdk-go-v2 STS client: what the SDK
// sends must be accepted, and what STS rejects must reach the SDK's caller
// with STS's code, status and message.

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const (
	deployRole = "arn:aws:iam::222222222222:role/deploy"
	aliceMFA   = "arn:aws:iam::123456789012:mfa/alice"
)

func TestGetCallerIdentityUser(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	out, err := newClient(s, alice, "ap-east-1").GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.Arn), "arn:aws:iam::123456789012:user/alice"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}
	if got := aws.ToString(out.Account); got != DefaultAccount {
		t.Errorf("Account = %q", got)
	}
	if got := aws.ToString(out.UserId); !regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`).MatchString(got) {
		t.Errorf("UserId = %q, want AIDA…", got)
	}
	reqs := s.Requests()
	if len(reqs) != 1 || reqs[0].Action != "GetCallerIdentity" || reqs[0].Region != "ap-east-1" ||
		reqs[0].AccessKeyID != alice.AccessKeyID || reqs[0].Status != 200 {
		t.Errorf("request log = %+v", reqs)
	}
	if s.Calls("GetCallerIdentity") != 1 || s.Calls("AssumeRole") != 0 {
		t.Errorf("calls: GetCallerIdentity=%d AssumeRole=%d", s.Calls("GetCallerIdentity"), s.Calls("AssumeRole"))
	}
}

// AWS_ENDPOINT_URL_STS is how awsrole's own tests will point the SDK here.
func TestEndpointFromEnvironment(t *testing.T) {
	s := Start(t)
	bob := s.AddUser("bob", InAccount("333333333333"))
	t.Setenv("AWS_ENDPOINT_URL_STS", s.URL())
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_ACCESS_KEY_ID", bob.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", bob.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "eu-south-1")
	cfg, err := config.LoadDefaultConfig(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	arn, err := callerARN(t, sts.NewFromConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if arn != "arn:aws:iam::333333333333:user/bob" {
		t.Errorf("Arn = %q", arn)
	}
	if r := s.Requests()[0]; r.Region != "eu-south-1" {
		t.Errorf("signed for %q, want eu-south-1", r.Region)
	}
}

func TestAssumeRole(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	s.AddRole(deployRole, MaxSessionDuration(2*time.Hour))
	before := time.Now()
	out, err := newClient(s, alice, "eu-west-1").AssumeRole(ctx(t), &sts.AssumeRoleInput{
		RoleArn: aws.String(deployRole), RoleSessionName: aws.String("alice@infra"),
		DurationSeconds: aws.Int32(7200),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if id := aws.ToString(c.AccessKeyId); !regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`).MatchString(id) {
		t.Errorf("AccessKeyId = %q", id)
	}
	if n := len(aws.ToString(c.SecretAccessKey)); n != 40 {
		t.Errorf("secret has %d characters, want 40", n)
	}
	if n := len(aws.ToString(c.SessionToken)); n < 300 {
		t.Errorf("session token has %d characters, want a long one", n)
	}
	if exp := aws.ToTime(c.Expiration); exp.Before(before.Add(2*time.Hour-2*time.Second)) || exp.After(time.Now().Add(2*time.Hour)) {
		t.Errorf("Expiration = %v, want 2h from now", exp)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::222222222222:assumed-role/deploy/alice@infra"; got != want {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, want)
	}
	if got := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !regexp.MustCompile(`^AROA[A-Z2-7]{17}:alice@infra$`).MatchString(got) {
		t.Errorf("AssumedRoleId = %q", got)
	}

	// The issued credentials work, and only with their token.
	session := fromSDK(c.AccessKeyId, c.SecretAccessKey, c.SessionToken, c.Expiration)
	out2, err := newClient(s, session, "eu-west-1").GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out2.Arn) != aws.ToString(out.AssumedRoleUser.Arn) || aws.ToString(out2.Account) != "222222222222" ||
		aws.ToString(out2.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Errorf("caller identity of the session = %+v", out2)
	}

	r := s.Requests()[0]
	if r.Action != "AssumeRole" || r.RoleArn != deployRole || r.RoleSessionName != "alice@infra" ||
		r.DurationSeconds != 7200 || r.Region != "eu-west-1" || r.AccessKeyID != alice.AccessKeyID {
		t.Errorf("log entry = %+v", r)
	}
	logText := fmt.Sprintf("%+v", s.Requests())
	for _, secret := range []string{alice.SecretAccessKey, session.SecretAccessKey, session.SessionToken} {
		if strings.Contains(logText, secret) {
			t.Errorf("request log contains a secret")
		}
	}
	ss := s.Sessions()
	if len(ss) != 1 || ss[0].AccessKeyID != session.AccessKeyID || !ss[0].FromAssumeRole || ss[0].MFA || ss[0].Region != "eu-west-1" {
		t.Errorf("Sessions() = %+v", ss)
	}
}

func TestGetSessionToken(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	root := s.AddRoot("444444444444")
	cl := newClient(s, alice, "us-west-2")

	c := must[Credentials](t)(getSessionToken(t, cl, &sts.GetSessionTokenInput{}))
	if d := time.Until(c.Expiration); d < 12*time.Hour-time.Minute || d > 12*time.Hour {
		t.Errorf("default session lasts %v, want 12h", d)
	}
	c = must[Credentials](t)(getSessionToken(t, cl, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129600)}))
	if d := time.Until(c.Expiration); d < 36*time.Hour-time.Minute {
		t.Errorf("session lasts %v, want 36h", d)
	}
	if arn := must[string](t)(callerARN(t, newClient(s, c, "us-west-2"))); arn != "arn:aws:iam::123456789012:user/alice" {
		t.Errorf("GetSessionToken session is %q, want the user", arn)
	}

	_, err := getSessionToken(t, cl, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(899)})
	wantAPIError(t, err, 400, "ValidationError", "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")
	_, err = getSessionToken(t, cl, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)})
	wantAPIError(t, err, 400, "ValidationError", "Member must have value less than or equal to 129600")

	// The account owner gets at most an hour, silently.
	c = must[Credentials](t)(getSessionToken(t, newClient(s, root, "us-west-2"), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(7200)}))
	if d := time.Until(c.Expiration); d > time.Hour {
		t.Errorf("root session lasts %v, want ≤ 1h", d)
	}
	if arn := must[string](t)(callerARN(t, newClient(s, root, "us-west-2"))); arn != "arn:aws:iam::444444444444:root" {
		t.Errorf("root identity %q", arn)
	}
}

func TestMFA(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	bob := s.AddUser("bob")
	s.AddMFA(aliceMFA, "alice", "111111", "222222", "333333")
	s.AddRole(deployRole, RequireMFA())
	cl := newClient(s, alice, "eu-west-1")
	gst := func(serial, code string) (Credentials, error) {
		return getSessionToken(t, cl, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
	}

	_, err := gst(aliceMFA, "999999")
	wantAPIError(t, err, 403, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	_, err = gst(aliceMFA, "12345")
	wantAPIError(t, err, 400, "ValidationError", "Value '12345' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6")
	_, err = gst(aliceMFA, "abcdef")
	wantAPIError(t, err, 400, "ValidationError", `Member must satisfy regular expression pattern: [\d]*`)
	_, err = getSessionToken(t, cl, &sts.GetSessionTokenInput{SerialNumber: aws.String(aliceMFA)})
	wantAPIError(t, err, 403, "AccessDenied", "must provide both MFA serial number and one time pass code")
	_, err = getSessionToken(t, newClient(s, bob, "eu-west-1"), &sts.GetSessionTokenInput{SerialNumber: aws.String(aliceMFA), TokenCode: aws.String("111111")})
	wantAPIError(t, err, 403, "AccessDenied", "associated with this user")

	mfaSession, err := gst(aliceMFA, "111111")
	if err != nil {
		t.Fatal(err)
	}
	_, err = gst(aliceMFA, "111111")
	wantAPIError(t, err, 403, "AccessDenied", "invalid MFA one time pass code") // one-time

	in := func() *sts.AssumeRoleInput {
		return &sts.AssumeRoleInput{RoleArn: aws.String(deployRole), RoleSessionName: aws.String("alice")}
	}
	// The role requires MFA: the plain user key is refused …
	_, err = assumeRole(t, cl, in())
	wantAPIError(t, err, 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: "+deployRole)
	// … the user key with a code is accepted …
	withCode := in()
	withCode.SerialNumber, withCode.TokenCode = aws.String(aliceMFA), aws.String("222222")
	if _, err := assumeRole(t, cl, withCode); err != nil {
		t.Fatal(err)
	}
	// … and so is the MFA session from GetSessionToken, without a code.
	roleCreds, err := assumeRole(t, newClient(s, mfaSession, "eu-west-1"), in())
	if err != nil {
		t.Fatal(err)
	}
	ss := s.Sessions()
	if last := ss[len(ss)-1]; last.AccessKeyID != roleCreds.AccessKeyID || !last.MFA {
		t.Errorf("role session from an MFA session: %+v, want MFA", last)
	}
	// A non-MFA GetSessionToken session does not satisfy the role.
	plain := must[Credentials](t)(getSessionToken(t, cl, &sts.GetSessionTokenInput{}))
	_, err = assumeRole(t, newClient(s, plain, "eu-west-1"), in())
	wantAPIError(t, err, 403, "AccessDenied", "is not authorized to perform: sts:AssumeRole")
	// Reuse can be allowed for tests about something else.
	s.AllowMFACodeReuse(true)
	if _, err := gst(aliceMFA, "111111"); err != nil {
		t.Errorf("reuse allowed: %v", err)
	}
	if r := s.Requests()[0]; r.SerialNumber != aliceMFA {
		t.Errorf("log entry serial = %q", r.SerialNumber)
	}
	if strings.Contains(fmt.Sprintf("%+v", s.Requests()), "111111") {
		t.Error("request log contains an MFA code")
	}
}

func TestAssumeRoleRules(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	mallory := s.AddUser("mallory", InAccount("999999999999"))
	root := s.AddRoot("123456789012")
	s.AddRole(deployRole, MaxSessionDuration(4*time.Hour), TrustPrincipals("arn:aws:iam::123456789012:root"))
	s.AddRole("arn:aws:iam::222222222222:role/vendor", RequireExternalID("vendor-42"),
		TrustPrincipals("arn:aws:iam::123456789012:user/alice"))
	s.AddRole("arn:aws:iam::222222222222:role/second", MaxSessionDuration(12*time.Hour),
		TrustPrincipals(deployRole))
	cl := newClient(s, alice, "eu-west-1")
	ar := func(cl *sts.Client, role, name string, dur int32, ext string) error {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String(name)}
		if dur != 0 {
			in.DurationSeconds = aws.Int32(dur)
		}
		if ext != "" {
			in.ExternalId = aws.String(ext)
		}
		_, err := assumeRole(t, cl, in)
		return err
	}

	cases := []struct {
		name        string
		err         error
		status      int
		code, msg   string
		wantSuccess bool
	}{
		{"too short", ar(cl, deployRole, "s", 899, ""), 400, "ValidationError",
			"2 validation errors detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", false},
		{"too long", ar(cl, deployRole, "alice", 43201, ""), 400, "ValidationError", "Member must have value less than or equal to 43200", false},
		{"bad name", ar(cl, deployRole, "alice smith", 0, ""), 400, "ValidationError", `Value 'alice smith' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`, false},
		{"long name", ar(cl, deployRole, strings.Repeat("a", 65), 0, ""), 400, "ValidationError", "Member must have length less than or equal to 64", false},
		{"above role max", ar(cl, deployRole, "alice", 4*3600+1, ""), 400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", false},
		{"at role max", ar(cl, deployRole, "alice", 4*3600, ""), 0, "", "", true},
		{"unknown role", ar(cl, "arn:aws:iam::222222222222:role/nope", "alice", 0, ""), 403, "AccessDenied", "not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/nope", false},
		{"untrusted account", ar(newClient(s, mallory, "eu-west-1"), deployRole, "m", 0, ""), 400, "ValidationError", "length greater than or equal to 2", false},
		{"untrusted principal", ar(newClient(s, mallory, "eu-west-1"), deployRole, "mallory", 0, ""), 403, "AccessDenied", "User: arn:aws:iam::999999999999:user/mallory is not authorized", false},
		{"root", ar(newClient(s, root, "eu-west-1"), deployRole, "root", 0, ""), 403, "AccessDenied", "Roles may not be assumed by root accounts.", false},
		{"no external id", ar(cl, "arn:aws:iam::222222222222:role/vendor", "alice", 0, ""), 403, "AccessDenied", "not authorized", false},
		{"wrong external id", ar(cl, "arn:aws:iam::222222222222:role/vendor", "alice", 0, "vendor-43"), 403, "AccessDenied", "not authorized", false},
		{"bad external id", ar(cl, "arn:aws:iam::222222222222:role/vendor", "alice", 0, "x y"), 400, "ValidationError", `Value 'x y' at 'externalId'`, false},
		{"external id", ar(cl, "arn:aws:iam::222222222222:role/vendor", "alice", 0, "vendor-42"), 0, "", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.wantSuccess {
				if c.err != nil {
					t.Fatal(c.err)
				}
				return
			}
			wantAPIError(t, c.err, c.status, c.code, c.msg)
		})
	}
}

func TestRoleChaining(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	s.AddRole(deployRole, MaxSessionDuration(12*time.Hour))
	second := "arn:aws:iam::222222222222:role/second"
	s.AddRole(second, MaxSessionDuration(12*time.Hour), TrustPrincipals(deployRole))

	first := must[Credentials](t)(assumeRole(t, newClient(s, alice, "eu-west-1"), &sts.AssumeRoleInput{
		RoleArn: aws.String(deployRole), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(12 * 3600),
	}))
	chain := newClient(s, first, "eu-west-1")
	_, err := assumeRole(t, chain, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("hop"), DurationSeconds: aws.Int32(3601)})
	wantAPIError(t, err, 400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")

	hop := must[Credentials](t)(assumeRole(t, chain, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("hop"), DurationSeconds: aws.Int32(3600)}))
	if arn := must[string](t)(callerARN(t, newClient(s, hop, "eu-west-1"))); arn != "arn:aws:sts::222222222222:assumed-role/second/hop" {
		t.Errorf("chained identity = %q", arn)
	}
	// second trusts only the deploy role, not alice directly.
	_, err = assumeRole(t, newClient(s, alice, "eu-west-1"), &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("alice")})
	wantAPIError(t, err, 403, "AccessDenied", "is not authorized")

	// Session credentials may not call GetSessionToken, whichever action issued them.
	_, err = getSessionToken(t, chain, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, 403, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	gst := must[Credentials](t)(getSessionToken(t, newClient(s, alice, "eu-west-1"), &sts.GetSessionTokenInput{}))
	_, err = getSessionToken(t, newClient(s, gst, "eu-west-1"), &sts.GetSessionTokenInput{})
	wantAPIError(t, err, 403, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	// A GetSessionToken session assuming a role is not chaining: 12h is fine.
	if _, err := assumeRole(t, newClient(s, gst, "eu-west-1"), &sts.AssumeRoleInput{
		RoleArn: aws.String(deployRole), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(12 * 3600),
	}); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialErrors(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	s.AddRole(deployRole)
	session := must[Credentials](t)(assumeRole(t, newClient(s, alice, "eu-west-1"),
		&sts.AssumeRoleInput{RoleArn: aws.String(deployRole), RoleSessionName: aws.String("alice")}))
	other := must[Credentials](t)(getSessionToken(t, newClient(s, alice, "eu-west-1"), &sts.GetSessionTokenInput{}))

	with := func(mod func(*Credentials)) error {
		c := session
		mod(&c)
		_, err := callerARN(t, newClient(s, c, "eu-west-1"))
		return err
	}
	invalid := "The security token included in the request is invalid."
	cases := []struct {
		name      string
		err       error
		status    int
		code, msg string
	}{
		{"unknown key", with(func(c *Credentials) { c.AccessKeyID = "AKIAUNKNOWN000000000"; c.SessionToken = "" }), 403, "InvalidClientTokenId", invalid},
		{"bad secret", with(func(c *Credentials) { c.SecretAccessKey = strings.Repeat("x", 40) }), 403, "SignatureDoesNotMatch", "The request signature we calculated does not match"},
		{"no token", with(func(c *Credentials) { c.SessionToken = "" }), 403, "InvalidClientTokenId", invalid},
		{"wrong token", with(func(c *Credentials) { c.SessionToken = other.SessionToken }), 403, "InvalidClientTokenId", invalid},
		{"long-term key with a token", with(func(c *Credentials) { *c = alice; c.SessionToken = session.SessionToken }), 403, "InvalidClientTokenId", invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantAPIError(t, c.err, c.status, c.code, c.msg) })
	}

	s.ExpireAll()
	_, err := callerARN(t, newClient(s, session, "eu-west-1"))
	wantAPIError(t, err, 400, "ExpiredToken", "The security token included in the request is expired")
	if _, err := callerARN(t, newClient(s, alice, "eu-west-1")); err != nil {
		t.Errorf("ExpireAll must not touch long-term keys: %v", err)
	}
}

// Credentials issued under a lifetime override expire for real.
func TestCredentialLifetime(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	s.AddRole(deployRole)
	s.SetCredentialLifetime(1500 * time.Millisecond)
	c := must[Credentials](t)(assumeRole(t, newClient(s, alice, "eu-west-1"),
		&sts.AssumeRoleInput{RoleArn: aws.String(deployRole), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(3600)}))
	if d := time.Until(c.Expiration); d > 2*time.Second {
		t.Fatalf("credentials last %v, want ≤ 1.5s", d)
	}
	if _, err := callerARN(t, newClient(s, c, "eu-west-1")); err != nil && time.Now().Before(c.Expiration) {
		t.Fatalf("fresh credentials refused: %v", err)
	}
	time.Sleep(time.Until(c.Expiration) + 10*time.Millisecond)
	_, err := callerARN(t, newClient(s, c, "eu-west-1"))
	wantAPIError(t, err, 400, "ExpiredToken", "expired")
}

func TestConcurrentUse(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	s.AddRole(deployRole)
	cl := newClient(s, alice, "eu-west-1")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := assumeRole(t, cl, &sts.AssumeRoleInput{RoleArn: aws.String(deployRole), RoleSessionName: aws.String(fmt.Sprintf("s%d", i))})
			errs <- err
			s.Requests()
			s.Sessions()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := s.Calls("AssumeRole"); n != 20 {
		t.Errorf("Calls = %d, want 20", n)
	}
	if n := len(s.Sessions()); n != 20 {
		t.Errorf("%d sessions, want 20", n)
	}
}
