package teststs

import (
	"context"
	"fmt"
	"time"
)

// Fault is a failure the server can be told to inject instead of (or into)
// the normal answer to an authenticated request.
type Fault int

const (
	// AccessDenied answers 403 AccessDenied "User: … is not authorized to perform: sts:…".
	AccessDenied Fault = iota + 1
	// ExpiredToken answers 400 ExpiredToken, as for expired session credentials.
	ExpiredToken
	// InvalidClientTokenId answers 403 InvalidClientTokenId, as for an unknown key.
	InvalidClientTokenId
	// Throttling answers 400 Throttling "Rate exceeded" (the SDK retries it).
	Throttling
	// InternalFailure answers 500 InternalFailure (the SDK retries it).
	InternalFailure
	// ServiceUnavailable answers 503 ServiceUnavailable (the SDK retries it).
	ServiceUnavailable
	// MalformedXML answers 200 with a truncated XML body.
	MalformedXML
	// Stall holds the request until the client gives up, the server closes,
	// or the stall limit passes (then 503).
	Stall
	// ExpiredCredentials succeeds but issues credentials whose Expiration is
	// already past (and which the server treats as expired).
	ExpiredCredentials
)

var faultNames = map[Fault]string{
	AccessDenied: "AccessDenied", ExpiredToken: "ExpiredToken", InvalidClientTokenId: "InvalidClientTokenId",
	Throttling: "Throttling", InternalFailure: "InternalFailure", ServiceUnavailable: "ServiceUnavailable",
	MalformedXML: "MalformedXML", Stall: "Stall", ExpiredCredentials: "ExpiredCredentials",
}

func (f Fault) String() string {
	if n, ok := faultNames[f]; ok {
		return n
	}
	if f == 0 {
		return "none"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// AnyAction makes FailNext/FailAll apply to every action. A rule for a
// specific action takes precedence.
const AnyAction = "*"

type faultRule struct {
	fault     Fault
	remaining int // < 0: every call
}

// FailNext makes the next n authenticated calls of action fail with f.
// Requests rejected before that (bad signature, unknown key) do not use up
// the count. It replaces any earlier rule for action.
func (s *Server) FailNext(action string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[action] = &faultRule{fault: f, remaining: n}
}

// FailAll makes every authenticated call of action fail with f until
// ClearFaults.
func (s *Server) FailAll(action string, f Fault) {
	s.FailNext(action, -1, f)
}

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string]*faultRule{}
}

// takeFault returns the fault to inject into this call of action, if any,
// and uses it up.
func (s *Server) takeFault(action string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{action, AnyAction} {
		rule := s.faults[key]
		if rule == nil || rule.remaining == 0 {
			continue
		}
		if rule.remaining > 0 {
			rule.remaining--
		}
		return rule.fault
	}
	return 0
}

// applyFault returns the error a fault answers with, or nil for faults that
// shape a successful answer (MalformedXML, ExpiredCredentials).
func (s *Server) applyFault(ctx context.Context, c *call) *apiError {
	switch c.fault {
	case AccessDenied:
		return s.notAuthorized(c, c.params.Get("RoleArn"))
	case ExpiredToken:
		return errf(400, "ExpiredToken", "The security token included in the request is expired")
	case InvalidClientTokenId:
		return errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	case Throttling:
		return errf(400, "Throttling", "Rate exceeded")
	case InternalFailure:
		return errf(500, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.")
	case ServiceUnavailable:
		return errf(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
	case Stall:
		t := time.NewTimer(s.stallLimit)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-s.closing:
		case <-t.C:
		}
		return errf(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
	}
	return nil
}
