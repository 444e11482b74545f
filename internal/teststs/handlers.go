package teststs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Parameter constraints from the STS API model; violations are reported the
// way STS does, all at once: "N validation error(s) detected: …; …".
var (
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]*$`)
	serialRE      = regexp.MustCompile(`^[\w+=/:,.@-]{9,256}$`)
	tokenCodeRE   = regexp.MustCompile(`^\d{6}$`)

	// Character classes alone, for "must satisfy regular expression pattern".
	serialCharsRE     = regexp.MustCompile(`^[\w+=/:,.@-]*$`)
	externalIDCharsRE = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	digitsRE          = regexp.MustCompile(`^\d*$`)
)

type validator struct{ problems []string }

func (v *validator) add(value, field, constraint string) {
	v.problems = append(v.problems, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member %s", value, field, constraint))
}

func (v *validator) required(value, field string) bool {
	if value == "" {
		v.problems = append(v.problems, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", field))
		return false
	}
	return true
}

// str checks length bounds and character pattern of an optional string.
func (v *validator) str(value, field string, min, max int, pattern *regexp.Regexp, patternText string) {
	if value == "" {
		return
	}
	if n := len([]rune(value)); n < min {
		v.add(value, field, fmt.Sprintf("must have length greater than or equal to %d", min))
	} else if n > max {
		v.add(value, field, fmt.Sprintf("must have length less than or equal to %d", max))
	}
	if pattern != nil && !pattern.MatchString(value) {
		v.add(value, field, "must satisfy regular expression pattern: "+patternText)
	}
}

// duration parses DurationSeconds; def when absent.
func (v *validator) duration(raw string, def, min, max int) int {
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		v.add(raw, "durationSeconds", "must be an integer")
		return def
	}
	if n < min {
		v.add(raw, "durationSeconds", fmt.Sprintf("must have value greater than or equal to %d", min))
	} else if n > max {
		v.add(raw, "durationSeconds", fmt.Sprintf("must have value less than or equal to %d", max))
	}
	return n
}

func (v *validator) mfa(serial, code string) {
	v.str(serial, "serialNumber", 9, 256, serialCharsRE, `[\w+=/:,.@-]*`)
	v.str(code, "tokenCode", 6, 6, digitsRE, `[\d]*`)
}

func (v *validator) err() *apiError {
	switch n := len(v.problems); n {
	case 0:
		return nil
	case 1:
		return errf(400, "ValidationError", "1 validation error detected: "+v.problems[0])
	default:
		return errf(400, "ValidationError", fmt.Sprintf("%d validation errors detected: %s", n, strings.Join(v.problems, "; ")))
	}
}

// notAuthorized is STS's single answer for "no such role", "not trusted",
// "wrong ExternalId" and "MFA required": it does not say which.
// The identity fields of a credential never change after it is created, so
// this needs no lock.
func (s *Server) notAuthorized(c *call, roleARN string) *apiError {
	who := c.cred.callerARN()
	msg := fmt.Sprintf("User: %s is not authorized to perform: sts:%s", who, c.entry.Action)
	if roleARN != "" {
		msg += " on resource: " + roleARN
	}
	return errf(403, "AccessDenied", msg)
}

// checkMFA verifies SerialNumber/TokenCode for the caller and uses up the
// code. It reports whether MFA was presented. Called with s.mu held.
func (s *Server) checkMFA(caller *credential, serial, code string) (bool, *apiError) {
	if serial == "" && code == "" {
		return false, nil
	}
	if serial == "" || code == "" {
		return false, errf(403, "AccessDenied", "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.")
	}
	d := s.mfa[serial]
	// A device belongs to a user; role sessions have none.
	if d == nil || caller.role != nil || d.owner != caller.user {
		return false, errf(403, "AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.")
	}
	used, ok := d.codes[code]
	if !ok || (used && !s.mfaReuse) {
		return false, errf(403, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	}
	d.codes[code] = true
	return true, nil
}

// expiryFor applies the test overrides to a requested duration. Called
// with s.mu held.
func (s *Server) expiryFor(c *call, requested time.Duration) time.Time {
	d := requested
	if s.lifetime > 0 {
		d = s.lifetime
	}
	if l := s.actionLifetime[c.entry.Action]; l > 0 {
		d = l
	}
	if c.fault == ExpiredCredentials {
		return c.now.Add(-time.Minute)
	}
	return c.now.Add(d)
}

func (s *Server) assumeRole(c *call) (any, *apiError) {
	p := c.params
	roleARN, name, extID := p.Get("RoleArn"), p.Get("RoleSessionName"), p.Get("ExternalId")
	serial, code := p.Get("SerialNumber"), p.Get("TokenCode")

	var v validator
	if v.required(roleARN, "roleArn") {
		v.str(roleARN, "roleArn", 20, 2048, nil, "")
	}
	if v.required(name, "roleSessionName") {
		v.str(name, "roleSessionName", 2, 64, sessionNameRE, `[\w+=,.@-]*`)
	}
	dur := v.duration(p.Get("DurationSeconds"), 3600, 900, 43200)
	v.str(extID, "externalId", 2, 1224, externalIDCharsRE, `[\w+=,.@:\/-]*`)
	v.mfa(serial, code)
	if err := v.err(); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	caller := c.cred
	if caller.role == nil && caller.user.root {
		return nil, errf(403, "AccessDenied", "Roles may not be assumed by root accounts.")
	}
	r := s.roles[roleARN]
	if r == nil || !r.trusts(caller) {
		return nil, s.notAuthorized(c, roleARN)
	}
	mfa, err := s.checkMFA(caller, serial, code)
	if err != nil {
		return nil, err
	}
	mfa = mfa || caller.mfa
	if (r.externalID != "" && extID != r.externalID) || (r.requireMFA && !mfa) {
		return nil, s.notAuthorized(c, roleARN)
	}
	if caller.fromAssume && dur > 3600 {
		return nil, errf(400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if time.Duration(dur)*time.Second > r.maxSession {
		return nil, errf(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	issued := s.issue(&credential{
		role: r, sessionName: name, mfa: mfa, fromAssume: true, region: c.auth.region,
	}, s.expiryFor(c, time.Duration(dur)*time.Second))
	var out assumeRoleResponse
	out.Xmlns = stsNamespace
	out.Result.AssumedRoleUser.AssumedRoleID = issued.userID()
	out.Result.AssumedRoleUser.Arn = issued.callerARN()
	out.Result.Credentials = toXMLCredentials(issued)
	out.Metadata.RequestID = c.reqID
	return out, nil
}

func (s *Server) getSessionToken(c *call) (any, *apiError) {
	p := c.params
	serial, code := p.Get("SerialNumber"), p.Get("TokenCode")
	var v validator
	dur := v.duration(p.Get("DurationSeconds"), 43200, 900, 129600)
	v.mfa(serial, code)
	if err := v.err(); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	caller := c.cred
	if caller.session {
		return nil, errf(403, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	}
	if caller.user.root {
		// Documented: sessions of the account owner last at most an hour,
		// and a longer request silently gets one hour.
		if p.Get("DurationSeconds") == "" || dur > 3600 {
			dur = 3600
		}
	}
	mfa, err := s.checkMFA(caller, serial, code)
	if err != nil {
		return nil, err
	}
	issued := s.issue(&credential{user: caller.user, mfa: mfa, region: c.auth.region},
		s.expiryFor(c, time.Duration(dur)*time.Second))
	var out getSessionTokenResponse
	out.Xmlns = stsNamespace
	out.Result.Credentials = toXMLCredentials(issued)
	out.Metadata.RequestID = c.reqID
	return out, nil
}

func (s *Server) getCallerIdentity(c *call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out getCallerIdentityResponse
	out.Xmlns = stsNamespace
	out.Result.Arn = c.cred.callerARN()
	out.Result.UserID = c.cred.userID()
	out.Result.Account = c.cred.account()
	out.Metadata.RequestID = c.reqID
	return out, nil
}
