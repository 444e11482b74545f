package sts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

func fromSTS(c *types.Credentials) (Credentials, error) {
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil || c.Expiration == nil {
		return Credentials{}, errors.New("STS answered without complete credentials")
	}
	return Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey,
		SessionToken: *c.SessionToken, Expires: *c.Expiration}, nil
}

// apiError turns an SDK error into one line a user can act on. The SDK's own
// text spans request IDs and status codes; the STS code and message are what
// says what went wrong.
func apiError(op string, err error) error {
	switch {
	case errors.Is(err, ErrNeedMFA):
		return ErrNeedMFA
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		msg := oneLine(api.ErrorMessage())
		if hint := hints[api.ErrorCode()]; hint != "" {
			msg += " (" + hint + ")"
		}
		return fmt.Errorf("%s failed: %s: %s", op, api.ErrorCode(), msg)
	}
	return fmt.Errorf("%s failed: %s", op, oneLine(err.Error()))
}

var hints = map[string]string{
	"AccessDenied":            "check the role's trust policy and the source identity",
	"InvalidClientTokenId":    "the source credentials are not valid",
	"SignatureDoesNotMatch":   "the source secret key is wrong",
	"ExpiredToken":            "the source credentials have expired; renew them",
	"Throttling":              "STS is throttling requests; wait a moment",
	"RegionDisabledException": "STS is not activated in this region for the account",
}

// sourceError explains a failure to find the base credentials.
func sourceError(err error) error {
	var api smithy.APIError
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &api) {
		return apiError("source credentials", err)
	}
	return fmt.Errorf("no usable source credentials: %s", oneLine(err.Error()))
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
