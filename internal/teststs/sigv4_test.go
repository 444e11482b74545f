package teststs

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const gciBody = "Action=GetCallerIdentity&Version=2011-06-15"

// signed builds a request to s signed by the SDK's own signer, so the
// verifier is checked against an independent implementation.
func signed(t testing.TB, s *Server, c Credentials, region, service string, at time.Time, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256Hex([]byte(body))
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
	}, req, sum, service, region, at)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

type rawError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// send performs req and decodes an error body, if any.
func send(t testing.TB, req *http.Request) (int, rawError, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e rawError
	if resp.StatusCode != 200 {
		if err := xml.Unmarshal(body, &e); err != nil {
			t.Fatalf("error body %q: %v", body, err)
		}
		if e.RequestID == "" || resp.Header.Get("x-amzn-RequestId") != e.RequestID {
			t.Errorf("request ID body %q header %q", e.RequestID, resp.Header.Get("x-amzn-RequestId"))
		}
	}
	return resp.StatusCode, e, string(body)
}

// The verifier agrees with the SDK signer on a request with a query string,
// an odd path and repeated, padded headers — not just the STS happy path.
func TestSignatureMatchesSDKSigner(t *testing.T) {
	secret := "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9/a%20b/c~d/?b=2&a=x%2Fy&a=1&empty=", strings.NewReader(gciBody))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Add("X-Amz-Meta", "  two   spaces  ")
	req.Header.Add("X-Amz-Meta", "second")
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: secret},
		req, sha256Hex([]byte(gciBody)), "sts", "ap-east-1", at); err != nil {
		t.Fatal(err)
	}
	// Like Go's server, which moves Host out of the header map.
	req.Host = req.URL.Host
	req.Header.Del("Host")
	auth, apiErr := parseAuth(req)
	if apiErr != nil {
		t.Fatal(apiErr)
	}
	if auth.region != "ap-east-1" || auth.service != "sts" || auth.scopeDate != "20260301" || auth.accessKeyID != "AKIAEXAMPLE" {
		t.Errorf("parsed %+v", auth)
	}
	if !contains(auth.signedHeaders, "x-amz-meta") {
		t.Fatalf("SDK did not sign x-amz-meta: %v", auth.signedHeaders)
	}
	if err := auth.verify(req, []byte(gciBody), secret); err != nil {
		t.Errorf("SDK-signed request rejected: %v", err)
	}
	if err := auth.verify(req, []byte(gciBody), secret+"x"); err == nil || err.code != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: %v", err)
	}
	if err := auth.verify(req, []byte(gciBody+"&x=1"), secret); err == nil {
		t.Error("tampered body accepted")
	}
	req.Header.Set("X-Amz-Meta", "changed")
	if err := auth.verify(req, []byte(gciBody), secret); err == nil {
		t.Error("tampered signed header accepted")
	}
}

func TestSignatureScopeAndTime(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	now := time.Now().UTC()

	status, e, _ := send(t, signed(t, s, alice, "eu-west-1", "sts", now, gciBody))
	if status != 200 {
		t.Fatalf("SDK-signed raw request: %d %+v", status, e)
	}

	cases := []struct {
		name      string
		req       *http.Request
		status    int
		code, msg string
	}{
		{"stale", signed(t, s, alice, "eu-west-1", "sts", now.Add(-6*time.Minute), gciBody), 403, "SignatureDoesNotMatch", "Signature expired: "},
		{"future", signed(t, s, alice, "eu-west-1", "sts", now.Add(6*time.Minute), gciBody), 403, "SignatureDoesNotMatch", "Signature not yet current: "},
		{"wrong service", signed(t, s, alice, "eu-west-1", "iam", now, gciBody), 403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'."},
		{"unknown action", signed(t, s, alice, "eu-west-1", "sts", now, "Action=GetFederationToken&Version=2011-06-15&Name=x"), 400, "InvalidAction", "Could not find operation GetFederationToken"},
		{"wrong version", signed(t, s, alice, "eu-west-1", "sts", now, "Action=GetCallerIdentity&Version=2010-01-01"), 400, "InvalidAction", "for version 2010-01-01"},
	}
	unsigned, _ := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(gciBody))
	unsigned.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cases = append(cases, struct {
		name      string
		req       *http.Request
		status    int
		code, msg string
	}{"unsigned", unsigned, 403, "MissingAuthenticationToken", "Request is missing Authentication Token"})

	// Scope date that disagrees with X-Amz-Date.
	mismatch := signed(t, s, alice, "eu-west-1", "sts", now, gciBody)
	mismatch.Header.Set("X-Amz-Date", now.Add(-24*time.Hour).Format(amzDateFmt))
	cases = append(cases, struct {
		name      string
		req       *http.Request
		status    int
		code, msg string
	}{"scope date", mismatch, 403, "SignatureDoesNotMatch", "Date in Credential scope does not match YYYYMMDD"})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, e, body := send(t, c.req)
			if status != c.status || e.Code != c.code || !strings.Contains(e.Message, c.msg) || e.Type != "Sender" {
				t.Errorf("got %d %s; want %d %s %q", status, body, c.status, c.code, c.msg)
			}
		})
	}
}

// The success body is exactly the documented shape, namespace included.
func TestResponseShape(t *testing.T) {
	s := Start(t)
	alice := s.AddUser("alice")
	_, _, body := send(t, signed(t, s, alice, "eu-west-1", "sts", time.Now(), gciBody))
	for _, want := range []string{
		`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`,
		`<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDA`,
		`<Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>`,
	} {
		if !bytes.Contains([]byte(body), []byte(want)) {
			t.Errorf("body %s\nlacks %s", body, want)
		}
	}
}
