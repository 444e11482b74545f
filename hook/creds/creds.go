// Package creds obtains temporary credentials for a directory's role with
// aws-sdk-go-v2: AssumeRole, GetSessionToken with MFA, or a ~/.aws profile.
// It answers from the shared cache when it can, before building any SDK
// client, so a prompt that re-enters a project makes no network call.
package creds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awsrole/awsrole/hook/cache"
	"github.com/awsrole/awsrole/hook/config"
)

// Credentials are one set of temporary (or, from a profile, static)
// credentials. Key, secret and token travel together or not at all.
type Credentials struct {
	AccessKeyID     string    `json:"AccessKeyId"`
	SecretAccessKey string    `json:"SecretAccessKey"`
	SessionToken    string    `json:"SessionToken,omitempty"`
	Expires         time.Time `json:"Expiration,omitzero"` // zero: does not expire
}

func (c Credentials) valid() bool { return c.AccessKeyID != "" && c.SecretAccessKey != "" }

// usableAt reports whether the credentials are still good at t.
func (c Credentials) usableAt(t time.Time) bool {
	return c.valid() && (c.Expires.IsZero() || c.Expires.After(t))
}

// MFAPrompt returns a six-digit code for serial; purpose names what it is for.
// It is nil when awsrole must not ask (no terminal, not at a prompt).
type MFAPrompt func(ctx context.Context, serial, purpose string) (string, error)

// Request is what the engine asks for.
type Request struct {
	File *config.File
	// Env is the environment the source credentials come from: the shell's
	// environment as it was before any awsrole role, never a role's.
	Env         map[string]string
	SessionName string
	// Margin: cached credentials closer than this to expiry are fetched anew.
	Margin time.Duration
	// MFASession is how long a GetSessionToken session behind a role lasts.
	MFASession time.Duration
	Prompt     MFAPrompt
	// Timeout bounds each STS call (not the time a user takes to type a code).
	Timeout time.Duration
	Now     time.Time
	// Fresh skips cached role credentials (an explicit login or refresh);
	// a cached MFA session is still used, so no new code is asked for.
	Fresh bool
}

// Source gets credentials, through Cache.
type Source struct{ Cache cache.Cache }

// ErrNeedMFA means a code is needed and this process may not ask for one.
var ErrNeedMFA = errors.New("needs an MFA code")

// Get returns credentials for req.File.
func (s Source) Get(ctx context.Context, req Request) (Credentials, error) {
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	f := req.File
	return s.cached(credsKey(req), req, func() (Credentials, error) {
		switch f.Mode() {
		case config.ModeProfile:
			return s.fromProfile(ctx, req)
		case config.ModeSessionToken:
			return s.mfaSession(ctx, req, f.Duration)
		default:
			return s.assumeRole(ctx, req)
		}
	})
}

// cached returns a usable cache entry for key, or fetches one under the key's
// lock. Waiting for the lock is the point: the first shell fetches (and
// prompts), the others find its result when they get the lock.
func (s Source) cached(key string, req Request, fetch func() (Credentials, error)) (Credentials, error) {
	var c Credentials
	if !req.Fresh {
		if ok, _ := s.Cache.Get(key, &c); ok && c.usableAt(req.Now.Add(req.Margin)) {
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
	if ok, _ := s.Cache.Get(key, &c); ok && c.usableAt(req.Now.Add(req.Margin)) && (!req.Fresh || c.fetchedAfter(req.Now)) {
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

// fetchedAfter is how a Fresh request that waited on the lock recognises the
// entry another process fetched meanwhile: STS credentials last at least 15
// minutes, so anything expiring later than that from the request was new.
func (c Credentials) fetchedAfter(t time.Time) bool {
	return !c.Expires.IsZero() && c.Expires.After(t.Add(15*time.Minute))
}

var warnf = func(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "awsrole: warning: "+format+"\n", args...)
}

// credsKey names the cache entry of the credentials req asks for: any
// difference in source, role, external ID, duration or region is another entry.
func credsKey(req Request) string {
	f := req.File
	return cacheKey("creds", fmt.Sprint(f.Mode()), f.RoleARN, f.Profile, f.MFASerial, f.ExternalID,
		req.SessionName, f.Duration.String(), f.STSRegion, sourceID(req.Env, f.SourceProfile), endpointID(req.Env))
}

// mfaKey names the MFA session of a serial for a source identity. Not keyed
// by region: session tokens from a regional endpoint are valid everywhere.
func mfaKey(req Request) string {
	return cacheKey("mfa", req.File.MFASerial, sourceID(req.Env, req.File.SourceProfile), endpointID(req.Env))
}

// Forget removes the cached credentials of req and the MFA session behind
// them, so the next use fetches (and asks) again.
func (s Source) Forget(req Request) error {
	if err := s.Cache.Delete(credsKey(req)); err != nil {
		return err
	}
	if req.File.MFASerial == "" {
		return nil
	}
	return s.Cache.Delete(mfaKey(req))
}

func cacheKey(parts ...string) string {
	b, _ := json.Marshal(parts)
	sum := sha256.Sum256(b)
	return parts[0] + "-" + hex.EncodeToString(sum[:16])
}

// sourceID names the source identity without the SDK, so the cache can be
// consulted before any client is built. Different sources never share an entry.
func sourceID(env map[string]string, sourceProfile string) string {
	files := env["AWS_CONFIG_FILE"] + "|" + env["AWS_SHARED_CREDENTIALS_FILE"]
	switch {
	case sourceProfile != "":
		return "profile:" + sourceProfile + "|" + files
	case env["AWS_ACCESS_KEY_ID"] != "":
		return "key:" + env["AWS_ACCESS_KEY_ID"] + "|" + fingerprint(env["AWS_SESSION_TOKEN"])
	case env["AWS_PROFILE"] != "":
		return "profile:" + env["AWS_PROFILE"] + "|" + files
	case env["AWS_DEFAULT_PROFILE"] != "":
		return "profile:" + env["AWS_DEFAULT_PROFILE"] + "|" + files
	default:
		return "default|" + files
	}
}

func endpointID(env map[string]string) string {
	return env["AWS_ENDPOINT_URL_STS"] + "|" + env["AWS_ENDPOINT_URL"] + "|" + env["AWS_USE_FIPS_ENDPOINT"]
}

func fingerprint(s string) string {
	if s == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// sdkConfig loads the SDK configuration as the pre-role shell would see it.
// The SDK reads the process environment, so it is made that environment:
// this process exists only to answer one prompt.
func sdkConfig(ctx context.Context, req Request, profile string, opts ...func(*awsconfig.LoadOptions) error) (aws.Config, error) {
	os.Clearenv()
	for k, v := range req.Env {
		os.Setenv(k, v)
	}
	opts = append(opts, awsconfig.WithRetryMaxAttempts(3))
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

func (s Source) assumeRole(ctx context.Context, req Request) (Credentials, error) {
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
func (s Source) mfaSession(ctx context.Context, req Request, d time.Duration) (Credentials, error) {
	cfg, err := sdkConfig(ctx, req, req.File.SourceProfile)
	if err != nil {
		return Credentials{}, err
	}
	return s.mfaSessionFrom(ctx, req, cfg, d)
}

func (s Source) mfaSessionFrom(ctx context.Context, req Request, cfg aws.Config, d time.Duration) (Credentials, error) {
	f := req.File
	sessionReq := req
	sessionReq.Fresh = false // a new role session must not throw away the MFA session
	return s.cached(mfaKey(req), sessionReq, func() (Credentials, error) {
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

func (s Source) fromProfile(ctx context.Context, req Request) (Credentials, error) {
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
