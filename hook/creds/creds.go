// Package creds answers requests for a directory's credentials from the
// shared cache, and hands a miss to a Fetcher. It does not link the AWS SDK:
// the binary a prompt runs on every cd pays for the SDK's initialisation and
// page faults only when it must call STS, in a helper process (helper, sts).
package creds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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

// UsableAt reports whether the credentials are still good at t.
func (c Credentials) UsableAt(t time.Time) bool {
	return c.valid() && (c.Expires.IsZero() || c.Expires.After(t))
}

// FetchedAfter is how a Fresh request that waited on the lock recognises the
// entry another process fetched meanwhile: STS credentials last at least 15
// minutes, so anything expiring later than that from the request was new.
func (c Credentials) FetchedAfter(t time.Time) bool {
	return !c.Expires.IsZero() && c.Expires.After(t.Add(15*time.Minute))
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

// A Fetcher gets the credentials of a request the cache could not answer.
// It owns the rest of the cache protocol: the per-key lock, the re-check
// under it, and storing what it fetched, so that concurrent shells fetch
// (and prompt) once.
type Fetcher interface {
	Fetch(ctx context.Context, req Request) (Credentials, error)
}

// Source gets credentials, through Cache, and on a miss from Fetcher.
type Source struct {
	Cache   cache.Cache
	Fetcher Fetcher
}

// ErrNeedMFA means a code is needed and this process may not ask for one.
var ErrNeedMFA = errors.New("needs an MFA code")

// Get returns credentials for req.File.
func (s Source) Get(ctx context.Context, req Request) (Credentials, error) {
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	if !req.Fresh {
		var c Credentials
		if ok, _ := s.Cache.Get(CredsKey(req), &c); ok && c.UsableAt(req.Now.Add(req.Margin)) {
			return c, nil
		}
	}
	if s.Fetcher == nil {
		return Credentials{}, errors.New("no way to call STS in this process")
	}
	return s.Fetcher.Fetch(ctx, req)
}

// CredsKey names the cache entry of the credentials req asks for: any
// difference in source, role, external ID, duration or region is another entry.
func CredsKey(req Request) string {
	f := req.File
	return cacheKey("creds", fmt.Sprint(f.Mode()), f.RoleARN, f.Profile, f.MFASerial, f.ExternalID,
		req.SessionName, f.Duration.String(), f.STSRegion, sourceID(req.Env, f.SourceProfile), endpointID(req.Env))
}

// MFAKey names the MFA session of a serial for a source identity. Not keyed
// by region: session tokens from a regional endpoint are valid everywhere.
func MFAKey(req Request) string {
	return cacheKey("mfa", req.File.MFASerial, sourceID(req.Env, req.File.SourceProfile), endpointID(req.Env))
}

// Forget removes the cached credentials of req and the MFA session behind
// them, so the next use fetches (and asks) again.
func (s Source) Forget(req Request) error {
	if err := s.Cache.Delete(CredsKey(req)); err != nil {
		return err
	}
	if req.File.MFASerial == "" {
		return nil
	}
	return s.Cache.Delete(MFAKey(req))
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

// askingKey carries the function WithAsking registers.
type askingKey struct{}

// WithAsking returns a context under which an MFA prompt on the terminal
// calls asking(true) before it writes to the terminal and asking(false) once
// it is done, so that a progress display on the same terminal steps aside.
func WithAsking(ctx context.Context, asking func(bool)) context.Context {
	return context.WithValue(ctx, askingKey{}, asking)
}

// Asking is the function WithAsking registered in ctx, or nil.
func Asking(ctx context.Context) func(bool) {
	f, _ := ctx.Value(askingKey{}).(func(bool))
	return f
}
