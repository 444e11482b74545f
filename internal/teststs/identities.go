package teststs

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DefaultAccount is the account of users added without InAccount.
const DefaultAccount = "123456789012"

// Credentials is a set of AWS credentials, long-term (SessionToken empty,
// Expiration zero) or temporary.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// Env returns the credentials as environment assignments (KEY=value), the way
// both the Go SDK and the AWS CLI read them. AWS_SESSION_TOKEN is present only
// for temporary credentials.
func (c Credentials) Env() []string {
	env := []string{
		"AWS_ACCESS_KEY_ID=" + c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey,
	}
	if c.SessionToken != "" {
		env = append(env, "AWS_SESSION_TOKEN="+c.SessionToken)
	}
	return env
}

// user is a long-term IAM identity: an IAM user or an account's root.
type user struct {
	name    string // empty for root
	account string
	id      string // AIDA… for users; the account ID for root (as STS reports it)
	root    bool
}

func (u *user) arn() string {
	if u.root {
		return "arn:aws:iam::" + u.account + ":root"
	}
	return "arn:aws:iam::" + u.account + ":user/" + u.name
}

// role is an IAM role and the parts of its trust policy that STS enforces.
type role struct {
	arn        string
	account    string
	name       string
	id         string // AROA…
	maxSession time.Duration
	externalID string   // required ExternalId, if non-empty
	requireMFA bool     // trust policy condition aws:MultiFactorAuthPresent
	principals []string // nil: any identity the server knows
}

// mfaDevice is a virtual or hardware MFA device of an IAM user.
type mfaDevice struct {
	serial string
	owner  *user
	codes  map[string]bool // valid code -> already used
}

// credential is one access key the server accepts, with what it stands for.
type credential struct {
	Credentials
	user *user // long-term key or GetSessionToken session: the user

	// Set for AssumeRole sessions.
	role        *role
	sessionName string

	session    bool   // temporary (ASIA…) credentials
	mfa        bool   // the session was authenticated with MFA
	fromAssume bool   // issued by AssumeRole: using it to AssumeRole is role chaining
	region     string // signing region of the request that issued it
}

// account is the account the credential acts in.
func (c *credential) account() string {
	if c.role != nil {
		return c.role.account
	}
	return c.user.account
}

// callerARN is what GetCallerIdentity reports as Arn.
func (c *credential) callerARN() string {
	if c.role != nil {
		return "arn:aws:sts::" + c.role.account + ":assumed-role/" + c.role.name + "/" + c.sessionName
	}
	return c.user.arn()
}

// userID is what GetCallerIdentity reports as UserId.
func (c *credential) userID() string {
	if c.role != nil {
		return c.role.id + ":" + c.sessionName
	}
	return c.user.id
}

// iamARN is the principal a trust policy names for this credential: the user,
// the root, or (for a role session) the role itself.
func (c *credential) iamARN() string {
	if c.role != nil {
		return c.role.arn
	}
	return c.user.arn()
}

// UserOption configures a user added with AddUser.
type UserOption func(*userConfig)

type userConfig struct {
	account     string
	accessKeyID string
	secret      string
}

// InAccount puts the user in account (12 digits) instead of DefaultAccount.
func InAccount(account string) UserOption {
	return func(c *userConfig) { c.account = account }
}

// WithKeys gives the user a fixed access key instead of a generated one (for
// config files and reproducible demos). The ID must start with AKIA.
func WithKeys(accessKeyID, secretAccessKey string) UserOption {
	return func(c *userConfig) { c.accessKeyID, c.secret = accessKeyID, secretAccessKey }
}

// RoleOption configures a role added with AddRole.
type RoleOption func(*role)

// MaxSessionDuration sets the role's maximum session duration (IAM allows
// 1h to 12h; default 1h). AssumeRole may not ask for more.
func MaxSessionDuration(d time.Duration) RoleOption {
	return func(r *role) { r.maxSession = d }
}

// RequireExternalID makes the role's trust policy require sts:ExternalId.
func RequireExternalID(id string) RoleOption {
	return func(r *role) { r.externalID = id }
}

// RequireMFA makes the role's trust policy require aws:MultiFactorAuthPresent.
func RequireMFA() RoleOption {
	return func(r *role) { r.requireMFA = true }
}

// TrustPrincipals limits who may assume the role. Each entry is a user ARN,
// a role ARN (its sessions may chain into this role) or an account root ARN
// (arn:aws:iam::ACCOUNT:root, meaning every identity of that account), as in
// an IAM trust policy. Without this option any identity the server knows may
// assume the role.
func TrustPrincipals(arns ...string) RoleOption {
	return func(r *role) { r.principals = append(r.principals, arns...) }
}

var (
	accountRE  = regexp.MustCompile(`^\d{12}$`)
	roleARNRE  = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$`)
	userNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	mfaARNRE   = regexp.MustCompile(`^arn:aws:iam::(\d{12}):mfa/`)
)

// addUser adds a user or root and returns its key and ARN.
func (s *Server) addUser(name string, root bool, opts []UserOption) (Credentials, string, error) {
	cfg := userConfig{account: DefaultAccount}
	for _, o := range opts {
		o(&cfg)
	}
	if !accountRE.MatchString(cfg.account) {
		return Credentials{}, "", fmt.Errorf("teststs: account %q is not 12 digits", cfg.account)
	}
	if !root && !userNameRE.MatchString(name) {
		return Credentials{}, "", fmt.Errorf("teststs: invalid IAM user name %q", name)
	}
	u := &user{name: name, account: cfg.account, root: root}
	if root {
		u.name, u.id = "", cfg.account
	} else {
		u.id = "AIDA" + randomID(17)
	}
	c := Credentials{AccessKeyID: cfg.accessKeyID, SecretAccessKey: cfg.secret}
	if c.AccessKeyID == "" {
		c.AccessKeyID, c.SecretAccessKey = "AKIA"+randomID(16), randomSecret()
	}
	if !strings.HasPrefix(c.AccessKeyID, "AKIA") || len(c.AccessKeyID) < 16 || c.SecretAccessKey == "" {
		return Credentials{}, "", fmt.Errorf("teststs: long-term access key %q must start with AKIA, have 16+ characters and a secret", c.AccessKeyID)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, other := range s.users {
		if !root && other.name == name && other.account == u.account {
			return Credentials{}, "", fmt.Errorf("teststs: user %s already exists", u.arn())
		}
		if root && other.root && other.account == u.account {
			return Credentials{}, "", fmt.Errorf("teststs: root of %s already added", u.account)
		}
	}
	if _, dup := s.creds[c.AccessKeyID]; dup {
		return Credentials{}, "", fmt.Errorf("teststs: access key %s already in use", c.AccessKeyID)
	}
	s.users = append(s.users, u)
	s.creds[c.AccessKeyID] = &credential{Credentials: c, user: u}
	return c, u.arn(), nil
}

// AddUser adds an IAM user with a long-term access key and returns the key.
// It panics on invalid input (a broken test, not a condition to handle).
func (s *Server) AddUser(name string, opts ...UserOption) Credentials {
	c, _, err := s.addUser(name, false, opts)
	if err != nil {
		panic(err)
	}
	return c
}

// AddRoot adds root credentials of an account (12 digits). Root may call
// GetSessionToken (900–3600 s) but may not assume roles, as in AWS.
func (s *Server) AddRoot(account string, opts ...UserOption) Credentials {
	c, _, err := s.addUser("", true, append([]UserOption{InAccount(account)}, opts...))
	if err != nil {
		panic(err)
	}
	return c
}

func (s *Server) addRole(arn string, opts []RoleOption) error {
	m := roleARNRE.FindStringSubmatch(arn)
	if m == nil {
		return fmt.Errorf("teststs: %q is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)", arn)
	}
	r := &role{arn: arn, account: m[1], name: m[2], id: "AROA" + randomID(17), maxSession: time.Hour}
	for _, o := range opts {
		o(r)
	}
	if r.maxSession < time.Hour || r.maxSession > 12*time.Hour || r.maxSession%time.Second != 0 {
		return fmt.Errorf("teststs: role %s: max session duration %v outside IAM's 1h..12h", arn, r.maxSession)
	}
	if r.externalID != "" && (len(r.externalID) < 2 || len(r.externalID) > 1224 || !externalIDCharsRE.MatchString(r.externalID)) {
		return fmt.Errorf("teststs: role %s: invalid external ID %q", arn, r.externalID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.roles[arn]; dup {
		return fmt.Errorf("teststs: role %s already exists", arn)
	}
	s.roles[arn] = r
	return nil
}

// AddRole adds a role that AssumeRole can assume. It panics on invalid input.
func (s *Server) AddRole(arn string, opts ...RoleOption) {
	if err := s.addRole(arn, opts); err != nil {
		panic(err)
	}
}

func (s *Server) addMFA(serial, userName string, codes []string) error {
	if !serialRE.MatchString(serial) {
		return fmt.Errorf("teststs: invalid MFA serial %q", serial)
	}
	account := ""
	if m := mfaARNRE.FindStringSubmatch(serial); m != nil {
		account = m[1]
	}
	for _, code := range codes {
		if !tokenCodeRE.MatchString(code) {
			return fmt.Errorf("teststs: MFA code %q is not 6 digits", code)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var owner *user
	for _, u := range s.users {
		if !u.root && u.name == userName && (account == "" || u.account == account) {
			if owner != nil {
				return fmt.Errorf("teststs: MFA %s: user name %q is ambiguous; use an ARN serial", serial, userName)
			}
			owner = u
		}
	}
	if owner == nil {
		return fmt.Errorf("teststs: MFA %s: no user %q (in the serial's account)", serial, userName)
	}
	if _, dup := s.mfa[serial]; dup {
		return fmt.Errorf("teststs: MFA %s already exists", serial)
	}
	d := &mfaDevice{serial: serial, owner: owner, codes: map[string]bool{}}
	for _, code := range codes {
		d.codes[code] = false
	}
	s.mfa[serial] = d
	return nil
}

// AddMFA attaches an MFA device to the IAM user userName and sets the codes
// it accepts (6 digits each; each is one-time unless AllowMFACodeReuse). If
// serial is an ARN, the user is looked up in the serial's account. It panics
// on invalid input.
func (s *Server) AddMFA(serial, userName string, validCodes ...string) {
	if err := s.addMFA(serial, userName, validCodes); err != nil {
		panic(err)
	}
}

// AddMFACodes makes more codes valid for an existing device (e.g. the next
// "minute" of a virtual MFA device).
func (s *Server) AddMFACodes(serial string, codes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.mfa[serial]
	if d == nil {
		panic("teststs: no MFA device " + serial)
	}
	for _, code := range codes {
		if !tokenCodeRE.MatchString(code) {
			panic("teststs: MFA code " + code + " is not 6 digits")
		}
		if _, ok := d.codes[code]; !ok {
			d.codes[code] = false
		}
	}
}

// AllowMFACodeReuse lets a valid MFA code be used more than once. Real AWS
// refuses a code it has already accepted; keep the default unless a test is
// about something else and cannot easily supply fresh codes.
func (s *Server) AllowMFACodeReuse(allow bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mfaReuse = allow
}

// trusts reports whether role r's trust policy names the caller.
func (r *role) trusts(c *credential) bool {
	if r.principals == nil {
		return true
	}
	for _, p := range r.principals {
		if p == c.iamARN() || p == "arn:aws:iam::"+c.account()+":root" {
			return true
		}
	}
	return false
}

// issue creates session credentials. Called with s.mu held.
func (s *Server) issue(c *credential, expires time.Time) *credential {
	c.session = true
	c.AccessKeyID = "ASIA" + randomID(16)
	c.SecretAccessKey = randomSecret()
	c.SessionToken = randomToken()
	c.Expiration = expires.UTC().Truncate(time.Second) // STS reports whole seconds
	s.creds[c.AccessKeyID] = c
	s.sessions = append(s.sessions, c)
	return c
}

// Access key IDs use the base32 alphabet, as AWS's do.
const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = keyAlphabet[int(b[i])%len(keyAlphabet)]
	}
	return string(b)
}

// randomSecret returns 40 characters of base64: real secrets contain '/' and
// '+', which is exactly what shell quoting must survive.
func randomSecret() string {
	b := make([]byte, 30)
	rand.Read(b)
	s := base64.StdEncoding.EncodeToString(b)
	return "/+" + s[2:] // always include both awkward characters
}

// randomToken returns a long base64 token like STS's (hundreds of characters,
// with '/', '+' and '=' padding).
func randomToken() string {
	b := make([]byte, 400)
	rand.Read(b)
	return "IQoJb3JpZ2luX2Vj" + base64.StdEncoding.EncodeToString(b) // ends in "=="
}
