// Package sts fetches credentials with aws-sdk-go-v2: AssumeRole,
// GetSessionToken with MFA, or a ~/.aws profile. Only the helper binary
// (cmd/awsrole-sts) links it: its package initialisation and page faults cost
// every process that links it milliseconds, which a cache hit must not pay.
package sts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awsrole/awsrole/hook/cache"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/creds"
)

type (
	Credentials = creds.Credentials
	Request     = creds.Request
)

// ErrNeedMFA is creds.ErrNeedMFA, the error the engine recognises.
var ErrNeedMFA = creds.ErrNeedMFA

// Fetcher is the in-process creds.Fetcher: it calls STS from this process,
// under the cache's per-key lock, and stores what it gets.
type Fetcher struct{ Cache cache.Cache }

// Fetch gets credentials for req.File.
func (s Fetcher) Fetch(ctx context.Context, req Request) (Credentials, error) {
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	f := req.File
	lastAttempt.set(nil)
	c, err := s.cached(creds.CredsKey(req), req, func() (Credentials, error) {
		switch f.Mode() {
		case config.ModeProfile:
			return s.fromProfile(ctx, req)
		case config.ModeSessionToken:
			return s.mfaSession(ctx, req, f.Duration)
		default:
			return s.assumeRole(ctx, req)
		}
	})
	if last := lastAttempt.get(); errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && last != nil {
		err = creds.TimeoutError{Last: describeAttempt(last)}
	}
	return c, err
}

// lastAttempt is the error of the latest failed STS attempt in this process
// (which serves one request at a time), seen by the retryer.
var lastAttempt recorded

type recorded struct {
	mu  sync.Mutex
	err error
}

func (r *recorded) set(err error) { r.mu.Lock(); r.err = err; r.mu.Unlock() }
func (r *recorded) get() error    { r.mu.Lock(); defer r.mu.Unlock(); return r.err }

// recordingRetryer is the SDK's standard retryer (3 attempts) that remembers
// each failed attempt's error.
type recordingRetryer struct{ aws.RetryerV2 }

func (r recordingRetryer) IsErrorRetryable(err error) bool {
	// The attempt the deadline cut short says nothing new.
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		lastAttempt.set(err)
	}
	return r.RetryerV2.IsErrorRetryable(err)
}

func describeAttempt(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode() + ": " + oneLine(api.ErrorMessage())
	}
	return oneLine(err.Error())
}

// cached returns a usable cache entry for key, or fetches one under the key's
// lock. Waiting for the lock is the point: the first shell fetches (and
// prompts), the others find its result when they get the lock.
func (s Fetcher) cached(key string, req Request, fetch func() (Credentials, error)) (Credentials, error) {
	var c Credentials
	if !req.Fresh {
		if ok, _ := s.Cache.Get(key, &c); ok && c.UsableAt(req.Now.Add(req.Margin)) {
			return c, nil
		}
	}
	unlock, err := s.Cache.Lock(key)
	if err != nil {
		// A cache we cannot use makes things slower, never impossible.
		warnf("%v; continuing without the cache", err)
		return fetch()
	}
	defer unlock()
	if ok, _ := s.Cache.Get(key, &c); ok && c.UsableAt(req.Now.Add(req.Margin)) && (!req.Fresh || c.FetchedAfter(req.Now)) {
		return c, nil
	}
	c, err = fetch()
	if err != nil {
		return Credentials{}, err
	}
	if !c.Expires.IsZero() && !c.Expires.After(time.Now()) {
		return Credentials{}, fmt.Errorf("STS returned credentials that expired at %s; check this machine's clock", c.Expires.UTC().Format(time.RFC3339))
	}
	// Static credentials from a profile already live in ~/.aws: not copied.
	if !c.Expires.IsZero() {
		if err := s.Cache.Put(key, c); err != nil {
			warnf("%v; continuing without the cache", err)
		}
	}
	return c, nil
}

var warnf = func(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "awsrole: warning: "+format+"\n", args...)
}

// sdkConfig loads the SDK configuration as the pre-role shell would see it.
// The SDK reads the process environment, so it is made that environment:
// this process exists only to answer one prompt.
func sdkConfig(ctx context.Context, req Request, profile string, opts ...func(*awsconfig.LoadOptions) error) (aws.Config, error) {
	os.Clearenv()
	for k, v := range req.Env {
		os.Setenv(k, v)
	}
	opts = append(opts, awsconfig.WithRetryer(func() aws.Retryer {
		return recordingRetryer{retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 3 })}
	}))
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	if r := req.File.STSRegion; r != "" {
		opts = append(opts, awsconfig.WithRegion(r))
	}
	lctx, cancel := bounded(ctx, req.Timeout)
	defer cancel()
	cfg, err := awsconfig.LoadDefaultConfig(lctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return cfg, fmt.Errorf("no region for STS: set region = \"…\" in %s", req.File.Path)
	}
	return cfg, nil
}

func (s Fetcher) assumeRole(ctx context.Context, req Request) (Credentials, error) {
	f := req.File
	cfg, err := sdkConfig(ctx, req, f.SourceProfile)
	if err != nil {
		return Credentials{}, err
	}
	in := &sts.AssumeRoleInput{
		RoleArn:         aws.String(f.RoleARN),
		RoleSessionName: aws.String(req.SessionName),
	}
	if f.Duration > 0 {
		in.DurationSeconds = aws.Int32(int32(f.Duration / time.Second))
	}
	if f.ExternalID != "" {
		in.ExternalId = aws.String(f.ExternalID)
	}
	client := sts.NewFromConfig(cfg)
	if f.MFASerial != "" {
		base, err := retrieve(ctx, req, cfg)
		if err != nil {
			return Credentials{}, sourceError(err)
		}
		if base.SessionToken != "" {
			// Session credentials cannot call GetSessionToken: the code goes
			// straight into AssumeRole, once per role session.
			var out *sts.AssumeRoleOutput
			err := withCode(ctx, req, "assume "+f.RoleARN, func(code string) (err error) {
				in.SerialNumber, in.TokenCode = aws.String(f.MFASerial), aws.String(code)
				cctx, cancel := bounded(ctx, req.Timeout)
				defer cancel()
				out, err = client.AssumeRole(cctx, in)
				return err
			})
			if err != nil {
				return Credentials{}, apiError("AssumeRole", err)
			}
			return fromSTS(out.Credentials)
		} else {
			// One code per serial: an MFA session, cached, from which every
			// role behind that serial is assumed without asking again.
			mfa, err := s.mfaSessionFrom(ctx, req, cfg, req.MFASession)
			if err != nil {
				return Credentials{}, err
			}
			client = sts.NewFromConfig(cfg, func(o *sts.Options) { o.Credentials = staticProvider(mfa) })
		}
	}
	cctx, cancel := bounded(ctx, req.Timeout)
	defer cancel()
	out, err := client.AssumeRole(cctx, in)
	if err != nil {
		return Credentials{}, apiError("AssumeRole", err)
	}
	return fromSTS(out.Credentials)
}

// mfaSession is the GetSessionToken flow of a file with mfa_serial alone.
func (s Fetcher) mfaSession(ctx context.Context, req Request, d time.Duration) (Credentials, error) {
	cfg, err := sdkConfig(ctx, req, req.File.SourceProfile)
	if err != nil {
		return Credentials{}, err
	}
	return s.mfaSessionFrom(ctx, req, cfg, d)
}

func (s Fetcher) mfaSessionFrom(ctx context.Context, req Request, cfg aws.Config, d time.Duration) (Credentials, error) {
	f := req.File
	sessionReq := req
	sessionReq.Fresh = false // a new role session must not throw away the MFA session
	return s.cached(creds.MFAKey(req), sessionReq, func() (Credentials, error) {
		base, err := retrieve(ctx, req, cfg)
		if err != nil {
			return Credentials{}, err
		}
		if base.SessionToken != "" {
			return Credentials{}, errors.New("the source credentials are already session credentials, which cannot call GetSessionToken; use long-term IAM user keys as the source")
		}
		in := &sts.GetSessionTokenInput{SerialNumber: aws.String(f.MFASerial)}
		if d > 0 {
			in.DurationSeconds = aws.Int32(int32(d / time.Second))
		}
		client := sts.NewFromConfig(cfg)
		var out *sts.GetSessionTokenOutput
		err = withCode(ctx, req, "an MFA session", func(code string) (err error) {
			in.TokenCode = aws.String(code)
			cctx, cancel := bounded(ctx, req.Timeout)
			defer cancel()
			out, err = client.GetSessionToken(cctx, in)
			return err
		})
		if err != nil {
			return Credentials{}, apiError("GetSessionToken", err)
		}
		return fromSTS(out.Credentials)
	})
}

func (s Fetcher) fromProfile(ctx context.Context, req Request) (Credentials, error) {
	f := req.File
	cfg, err := sdkConfig(ctx, req, f.Profile, awsconfig.WithAssumeRoleCredentialOptions(func(o *stscreds.AssumeRoleOptions) {
		if f.Duration > 0 {
			o.Duration = f.Duration
		}
		o.TokenProvider = func() (string, error) { return ask(ctx, req, "profile "+f.Profile) }
	}))
	if err != nil {
		return Credentials{}, err
	}
	// The SDK may ask for a code in the middle of Retrieve: a user typing is
	// not bounded by the STS timeout, only by a generous ceiling.
	limit := req.Timeout
	if req.Prompt != nil {
		limit = 5 * time.Minute
	}
	rctx, cancel := bounded(ctx, limit)
	defer cancel()
	c, err := cfg.Credentials.Retrieve(rctx)
	if err != nil {
		if errors.Is(err, ErrNeedMFA) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return Credentials{}, unwrapTo(err)
		}
		return Credentials{}, fmt.Errorf("profile %s: %w", f.Profile, apiError("credentials", err))
	}
	out := Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if c.CanExpire {
		out.Expires = c.Expires
	}
	return out, nil
}

// withCode asks for a code and calls call with it; a code STS refuses is
// asked for again (the prompt itself stops after three).
func withCode(ctx context.Context, req Request, purpose string, call func(code string) error) error {
	for {
		code, err := ask(ctx, req, purpose)
		if err != nil {
			return err
		}
		err = call(code)
		if err == nil || !badCode(err) {
			return err
		}
		warnf("STS did not accept that MFA code")
	}
}

func badCode(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "AccessDenied" &&
		strings.Contains(api.ErrorMessage(), "MultiFactorAuthentication")
}

func ask(ctx context.Context, req Request, purpose string) (string, error) {
	if req.Prompt == nil {
		return "", ErrNeedMFA
	}
	return req.Prompt(ctx, req.File.MFASerial, purpose)
}

type staticProvider Credentials

func (p staticProvider) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: p.AccessKeyID, SecretAccessKey: p.SecretAccessKey,
		SessionToken: p.SessionToken, Source: "awsrole-mfa-session", CanExpire: true, Expires: p.Expires}, nil
}

func unwrapTo(err error) error {
	for _, target := range []error{ErrNeedMFA, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, target) {
			return target
		}
	}
	return err
}

func bounded(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = 15 * time.Second
	}
	return context.WithTimeout(ctx, d)
}

// retrieve gets the source credentials, bounded by the STS timeout.
func retrieve(ctx context.Context, req Request, cfg aws.Config) (aws.Credentials, error) {
	rctx, cancel := bounded(ctx, req.Timeout)
	defer cancel()
	c, err := cfg.Credentials.Retrieve(rctx)
	if err != nil {
		return c, sourceError(err)
	}
	return c, nil
}
