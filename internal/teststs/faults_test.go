package teststs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func TestFaultErrors(t *testing.T) {
	cases := []struct {
		fault     Fault
		status    int
		code, msg string
		attempts  int // the SDK's standard retryer makes 3 attempts on retryable errors
	}{
		{AccessDenied, 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: " + deployRole, 1},
		{ExpiredToken, 400, "ExpiredToken", "The security token included in the request is expired", 1},
		{InvalidClientTokenId, 403, "InvalidClientTokenId", "The security token included in the request is invalid.", 1},
		{Throttling, 400, "Throttling", "Rate exceeded", 3},
		{InternalFailure, 500, "InternalFailure", "", 3},
		{ServiceUnavailable, 503, "ServiceUnavailable", "", 3},
	}
	for _, c := range cases {
		t.Run(c.fault.String(), func(t *testing.T) {
			s := Start(t)
			alice := s.AddUser("alice")
			s.AddRole(deployRole)
			s.FailAll("AssumeRole", c.fault)
			cl := newClient(s, alice, "eu-west-1")
			_, err := assumeRole(t, cl, &sts.AssumeRoleInput{RoleArn: aws.String(deployRole), RoleSessionName: aws.String("alice")})
			wantAPIError(t, err, c.status, c.code, c.msg)
			if n := s.Calls("AssumeRole"); n != c.attempts {
				t.Errorf("%d attempts, want %d", n, c.attempts)
			}
			// Other actions are unaffected.
			if _, err := callerARN(t, cl); err != nil {
				t.Error(err)
			}
			if r := s.Requests()[0]; r.Fault != c.fault || r.ErrorCode != c.code || r.Status != c.status {
				t.Errorf("log entry %+v", r)
			}
		})
	}
}

// FailNext counts calls: the SDK's retry gets through after one throttle.
func TestFailNextThenRecover(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	s.FailNext("GetSessionToken", 1, Throttling)
	if _, err := getSessionToken(t, newClient(s, alice, "eu-west-1"), &sts.GetSessionTokenInput{}); err != nil {
		t.Fatal(err)
	}
	if n := s.Calls("GetSessionToken"); n != 2 {
		t.Errorf("%d calls, want 2 (throttled, then retried)", n)
	}
	s.FailNext(AnyAction, 2, AccessDenied)
	cl := newClient(s, alice, "eu-west-1")
	for range 2 {
		_, err := callerARN(t, cl)
		wantAPIError(t, err, 403, "AccessDenied", "sts:GetCallerIdentity")
	}
	if _, err := callerARN(t, cl); err != nil {
		t.Errorf("third call: %v", err)
	}
	s.FailAll(AnyAction, AccessDenied)
	s.ClearFaults()
	if _, err := callerARN(t, cl); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
}

// A bad signature is reported as such even while a fault is armed, and does
// not use the fault up.
func TestFaultsComeAfterAuthentication(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	s.FailNext("GetCallerIdentity", 1, Throttling)
	bad := alice
	bad.SecretAccessKey = "wrong"
	_, err := callerARN(t, newClient(s, bad, "eu-west-1"))
	wantAPIError(t, err, 403, "SignatureDoesNotMatch", "signature")
	_, err = callerARN(t, newClient(s, alice, "eu-west-1"))
	if err != nil { // throttled once, retried
		t.Fatal(err)
	}
	if r := s.Requests(); r[1].Fault != Throttling || r[2].Fault != 0 {
		t.Errorf("log %+v", r)
	}
}

func TestMalformedXML(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	s.FailNext("GetSessionToken", 1, MalformedXML)
	_, err := getSessionToken(t, newClient(s, alice, "eu-west-1"), &sts.GetSessionTokenInput{})
	var de *smithy.DeserializationError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a smithy.DeserializationError", err)
	}
}

func TestStall(t *testing.T) {
	s := Start(t, WithStallLimit(10*time.Second))
	alice := s.AddUser("alice")
	s.FailNext("GetCallerIdentity", 1, Stall)
	c, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newClient(s, alice, "eu-west-1").GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the client's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("client waited %v", d)
	}

	// Bounded by the stall limit when the client waits forever, and released by Close.
	s2 := Start(t, WithStallLimit(200*time.Millisecond))
	bob := s2.AddUser("bob")
	s2.FailAll("GetCallerIdentity", Stall)
	cl := sts.New(sts.Options{Region: "eu-west-1", BaseEndpoint: aws.String(s2.URL()),
		Credentials: newClient(s2, bob, "eu-west-1").Options().Credentials, RetryMaxAttempts: 1})
	_, err = cl.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, 503, "ServiceUnavailable", "")
}

func TestExpiredCredentialsFault(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	s.AddRole(deployRole)
	s.FailNext("AssumeRole", 1, ExpiredCredentials)
	c, err := assumeRole(t, newClient(s, alice, "eu-west-1"), &sts.AssumeRoleInput{RoleArn: aws.String(deployRole), RoleSessionName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Expiration.Before(time.Now()) {
		t.Errorf("Expiration %v is not past", c.Expiration)
	}
	_, err = callerARN(t, newClient(s, c, "eu-west-1"))
	wantAPIError(t, err, 400, "ExpiredToken", "expired")
}

func TestCloseIsBounded(t *testing.T) {
	s := New(WithStallLimit(time.Hour))
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	alice := s.AddUser("alice")
	s.FailAll(AnyAction, Stall)
	done := make(chan error, 1)
	go func() {
		_, err := newClient(s, alice, "eu-west-1").GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{},
			func(o *sts.Options) { o.RetryMaxAttempts = 1 })
		done <- err
	}()
	for s.Calls("GetCallerIdentity") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := <-done; err == nil {
		t.Error("stalled call succeeded")
	}
	if err := New().Listen("0.0.0.0:0"); err == nil {
		t.Error("listening on 0.0.0.0 allowed")
	}
}
