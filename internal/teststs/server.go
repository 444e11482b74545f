package teststs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Server is a local STS. All methods are safe for concurrent use.
type Server struct {
	now        func() time.Time
	hook       func(Request)
	stallLimit time.Duration

	mu       sync.Mutex
	users    []*user
	roles    map[string]*role
	mfa      map[string]*mfaDevice
	creds    map[string]*credential // by access key ID, long-term and session
	sessions []*credential          // session credentials in issue order
	mfaReuse bool
	lifetime time.Duration // 0: as requested
	// actionLifetime overrides lifetime for one action.
	actionLifetime map[string]time.Duration
	calls          map[string]int
	log            []Request
	faults         map[string]*faultRule

	httpSrv *http.Server
	url     string
	closing chan struct{} // closed by Close: ends stalls
	served  chan struct{} // closed when Serve returns
	once    sync.Once
}

// Request is one entry of the request log. It never holds a secret: no
// secret key, session token or MFA code.
type Request struct {
	Time            time.Time
	Action          string
	AccessKeyID     string // from the Authorization header, even if unknown
	Region          string // signing region of the credential scope
	RoleArn         string
	RoleSessionName string
	ExternalID      string
	SerialNumber    string
	DurationSeconds int // 0 when absent
	UserAgent       string
	Status          int    // HTTP status answered
	ErrorCode       string // "" on success
	Fault           Fault  // the injected fault, if any
}

// Option configures a Server.
type Option func(*Server)

// WithClock replaces time.Now, for the signature time window and for
// credential expiry.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithRequestHook calls f after every request with its log entry (e.g. to
// print a trace). f must not block.
func WithRequestHook(f func(Request)) Option { return func(s *Server) { s.hook = f } }

// WithStallLimit bounds how long a Stall fault holds a request (default 30s)
// when the client does not give up first.
func WithStallLimit(d time.Duration) Option { return func(s *Server) { s.stallLimit = d } }

// New returns a server that is not yet listening; see Listen. Tests use Start.
func New(opts ...Option) *Server {
	s := &Server{
		now:        time.Now,
		stallLimit: 30 * time.Second,
		roles:      map[string]*role{},
		mfa:        map[string]*mfaDevice{},
		creds:      map[string]*credential{},
		calls:      map[string]int{},
		faults:     map[string]*faultRule{},
		closing:    make(chan struct{}),
		served:     make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start starts a server on 127.0.0.1 with a random port and stops it when the
// test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("teststs: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("teststs: close: %v", err)
		}
	})
	return s
}

// Listen starts serving on addr, which must be 127.0.0.1:PORT (port 0 picks
// a free one): the server hands out credentials to anyone who can reach it.
func (s *Server) Listen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host != "127.0.0.1" {
		return fmt.Errorf("listen address %q: only 127.0.0.1 is allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.url = "http://" + ln.Addr().String()
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.served)
		s.httpSrv.Serve(ln)
	}()
	return nil
}

// URL is the endpoint to give clients (AWS_ENDPOINT_URL_STS, --endpoint-url).
func (s *Server) URL() string { return s.url }

// Close stops the server: stalled requests are released, in-flight requests
// get up to 5 seconds, then connections are cut.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closing)
		if s.httpSrv == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err = s.httpSrv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			err = s.httpSrv.Close()
		}
		<-s.served
	})
	return err
}

// Calls returns how many requests for action the server received, whatever
// their outcome (including rejected and fault-injected ones).
func (s *Server) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetLog clears the request log and the call counters.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.calls = map[string]int{}
}

// SetCredentialLifetime makes every credential issued from now on expire d
// after issue, whatever DurationSeconds asked for (for refresh tests, e.g.
// 3s). Zero restores normal behaviour.
func (s *Server) SetCredentialLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime = d
}

// SetActionLifetime is SetCredentialLifetime for the credentials one action
// issues, e.g. short AssumeRole sessions behind a long MFA session.
func (s *Server) SetActionLifetime(action string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.actionLifetime == nil {
		s.actionLifetime = map[string]time.Duration{}
	}
	s.actionLifetime[action] = d
}

// ExpireAll expires every session credential issued so far: using one now
// fails with ExpiredToken.
func (s *Server) ExpireAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for _, c := range s.creds {
		if c.session && c.Expiration.After(past) {
			c.Expiration = past
		}
	}
}

// Session describes an issued session credential (no secrets).
type Session struct {
	AccessKeyID     string
	Arn             string // caller ARN (user, or sts assumed-role ARN)
	Expiration      time.Time
	MFA             bool   // MFA-authenticated
	FromAssumeRole  bool   // issued by AssumeRole
	Region          string // signing region of the issuing request
	RoleSessionName string
}

// Sessions lists the session credentials issued so far, oldest first.
func (s *Server) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, 0, len(s.sessions))
	for _, c := range s.sessions {
		out = append(out, Session{
			AccessKeyID: c.AccessKeyID, Arn: c.callerARN(), Expiration: c.Expiration,
			MFA: c.mfa, FromAssumeRole: c.fromAssume, Region: c.region, RoleSessionName: c.sessionName,
		})
	}
	return out
}

const maxBody = 1 << 20

// call is one request being handled.
type call struct {
	reqID  string
	params url.Values
	auth   *sigAuth
	cred   *credential
	entry  *Request
	now    time.Time
	fault  Fault
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{reqID: newRequestID(), now: s.now(), entry: &Request{UserAgent: r.Header.Get("User-Agent")}}
	c.entry.Time = c.now
	resp, apiErr := s.handle(r, c)
	switch {
	case c.fault == MalformedXML && apiErr == nil:
		c.entry.Status = http.StatusOK
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", c.reqID)
		io.WriteString(w, "<"+c.entry.Action+"Response xmlns=\""+stsNamespace+"\"><"+c.entry.Action+"Result><Credentials><AccessKeyId>ASIA")
	case apiErr != nil:
		c.entry.Status, c.entry.ErrorCode = apiErr.status, apiErr.code
		writeError(w, c.reqID, apiErr)
	default:
		c.entry.Status = http.StatusOK
		writeXML(w, c.reqID, resp)
	}
	s.mu.Lock()
	s.log = append(s.log, *c.entry)
	s.mu.Unlock()
	if s.hook != nil {
		s.hook(*c.entry)
	}
}

// handle parses, authenticates and dispatches a request. It returns either a
// response document or an error to send.
func (s *Server) handle(r *http.Request, c *call) (any, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, errf(400, "IncompleteBody", "teststs: reading body: "+err.Error())
	}
	if len(body) > maxBody {
		return nil, errf(413, "RequestEntityTooLarge", "Request body too large")
	}
	params, apiErr := parseParams(r, body)
	if apiErr != nil {
		return nil, apiErr
	}
	c.params = params
	action := params.Get("Action")
	e := c.entry
	e.Action = action
	e.RoleArn = params.Get("RoleArn")
	e.RoleSessionName = params.Get("RoleSessionName")
	e.ExternalID = params.Get("ExternalId")
	e.SerialNumber = params.Get("SerialNumber")
	fmt.Sscan(params.Get("DurationSeconds"), &e.DurationSeconds)

	s.mu.Lock()
	s.calls[action]++
	s.mu.Unlock()

	handler := handlers[action]
	if action == "" {
		return nil, errf(400, "MissingAction", "Missing Action")
	}
	if handler == nil || params.Get("Version") != apiVersion {
		return nil, errf(400, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, params.Get("Version")))
	}
	if apiErr := s.authenticate(r, body, c); apiErr != nil {
		return nil, apiErr
	}

	// Faults come after authentication, so a broken signature is still
	// reported as such while a fault is armed.
	if f := s.takeFault(action); f != 0 {
		c.fault, e.Fault = f, f
		if apiErr := s.applyFault(r.Context(), c); apiErr != nil {
			return nil, apiErr
		}
	}
	return handler(s, c)
}

const apiVersion = "2011-06-15"

var handlers = map[string]func(*Server, *call) (any, *apiError){
	"AssumeRole":        (*Server).assumeRole,
	"GetSessionToken":   (*Server).getSessionToken,
	"GetCallerIdentity": (*Server).getCallerIdentity,
}

// parseParams reads Query protocol parameters from the URL and, for POST,
// the form body (which is what both the SDK and the CLI use).
func parseParams(r *http.Request, body []byte) (url.Values, *apiError) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errf(400, "MalformedQueryString", err.Error())
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		if len(body) == 0 {
			break
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, errf(400, "InvalidParameterValue", "teststs: POST body must be application/x-www-form-urlencoded, got "+r.Header.Get("Content-Type"))
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errf(400, "MalformedQueryString", err.Error())
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	default:
		return nil, errf(405, "InvalidAction", "teststs: method "+r.Method+" not allowed")
	}
	return params, nil
}

// authenticate finds the credential the request names and checks, in STS's
// order of precedence, that it exists, that its session token matches, that
// the signature is right and fresh, and that the credential has not expired.
func (s *Server) authenticate(r *http.Request, body []byte, c *call) *apiError {
	auth, apiErr := parseAuth(r)
	if apiErr != nil {
		return apiErr
	}
	c.auth = auth
	c.entry.AccessKeyID, c.entry.Region = auth.accessKeyID, auth.region

	s.mu.Lock()
	cred := s.creds[auth.accessKeyID]
	var snapshot credential
	if cred != nil {
		snapshot = *cred
	}
	s.mu.Unlock()

	invalidToken := errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	if cred == nil {
		return invalidToken
	}
	token := r.Header.Get("X-Amz-Security-Token")
	// Session credentials need their own token; a long-term key must not
	// carry one (a leftover AWS_SESSION_TOKEN next to an AKIA key).
	if token != snapshot.SessionToken {
		return invalidToken
	}
	if token != "" && !contains(auth.signedHeaders, "x-amz-security-token") {
		return errf(403, "SignatureDoesNotMatch", signatureMismatchMessage)
	}
	if apiErr := auth.checkScope(c.now); apiErr != nil {
		return apiErr
	}
	if apiErr := auth.verify(r, body, snapshot.SecretAccessKey); apiErr != nil {
		return apiErr
	}
	if snapshot.session && !c.now.Before(snapshot.Expiration) {
		return errf(400, "ExpiredToken", "The security token included in the request is expired")
	}
	c.cred = cred
	return nil
}
