package teststs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// newClient returns a real SDK STS client pointed at s through BaseEndpoint,
// signing for region with c. Retries keep the SDK's standard retryer (so
// retryable faults are retried as in production) but without the backoff
// sleep.
func newClient(s *Server, c Credentials, region string) *sts.Client {
	return sts.New(sts.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
	})
}

func fromSDK(id, secret, token *string, exp *time.Time) Credentials {
	return Credentials{AccessKeyID: aws.ToString(id), SecretAccessKey: aws.ToString(secret), SessionToken: aws.ToString(token), Expiration: aws.ToTime(exp)}
}

// wantAPIError asserts that err is the STS error code with HTTP status, as
// the SDK surfaces it (smithy.APIError + awshttp.ResponseError), and that its
// message contains msg.
func wantAPIError(t testing.TB, err error, status int, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %d %s", status, code)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v is not a smithy.APIError", err)
	}
	if apiErr.ErrorCode() != code {
		t.Errorf("error code = %q, want %q (%v)", apiErr.ErrorCode(), code, err)
	}
	if !strings.Contains(apiErr.ErrorMessage(), msg) {
		t.Errorf("error message = %q, want it to contain %q", apiErr.ErrorMessage(), msg)
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if got := respErr.HTTPStatusCode(); got != status {
		t.Errorf("HTTP status = %d, want %d", got, status)
	}
	if respErr.ServiceRequestID() == "" {
		t.Errorf("no request ID surfaced for %v", err)
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func assumeRole(t testing.TB, cl *sts.Client, in *sts.AssumeRoleInput) (Credentials, error) {
	t.Helper()
	out, err := cl.AssumeRole(ctx(t), in)
	if err != nil {
		return Credentials{}, err
	}
	c := out.Credentials
	return fromSDK(c.AccessKeyId, c.SecretAccessKey, c.SessionToken, c.Expiration), nil
}

func getSessionToken(t testing.TB, cl *sts.Client, in *sts.GetSessionTokenInput) (Credentials, error) {
	t.Helper()
	out, err := cl.GetSessionToken(ctx(t), in)
	if err != nil {
		return Credentials{}, err
	}
	c := out.Credentials
	return fromSDK(c.AccessKeyId, c.SecretAccessKey, c.SessionToken, c.Expiration), nil
}

func callerARN(t testing.TB, cl *sts.Client) (string, error) {
	t.Helper()
	out, err := cl.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
