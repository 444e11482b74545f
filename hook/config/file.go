package config

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Mode is how credentials for a directory are obtained.
type Mode int

const (
	// ModeRole: AssumeRole on role_arn (with MFA when mfa_serial is set).
	ModeRole Mode = iota + 1
	// ModeProfile: a profile from ~/.aws/config, resolved by the SDK.
	ModeProfile
	// ModeSessionToken: GetSessionToken with mfa_serial, for an IAM user.
	ModeSessionToken
)

func (m Mode) String() string {
	switch m {
	case ModeRole:
		return "role"
	case ModeProfile:
		return "profile"
	case ModeSessionToken:
		return "session-token"
	}
	return "none"
}

// File is a validated .awsrole.toml.
type File struct {
	Path, Dir string // absolute path of the file, and the directory it governs
	Content   []byte // exactly what was read (the trust check hashes it)

	RoleARN, SourceProfile, Profile, MFASerial string

	Region    string
	STSRegion string // defaults to Region; "aws-global" only when written

	Duration time.Duration // 0 = the API default

	SessionName, ExternalID string
}

// Mode reports how the file's credentials are obtained.
func (f *File) Mode() Mode {
	switch {
	case f.RoleARN != "":
		return ModeRole
	case f.Profile != "":
		return ModeProfile
	case f.MFASerial != "":
		return ModeSessionToken
	}
	return 0
}

// AccountID is the account the file points at: from role_arn, or from
// mfa_serial when it stands alone and is an ARN. It is "" in profile mode
// (the account is only known once the profile is resolved) and for a
// hardware token serial.
func (f *File) AccountID() string {
	switch f.Mode() {
	case ModeRole:
		if validRoleARN(f.RoleARN) {
			return roleARNRe().FindStringSubmatch(f.RoleARN)[1]
		}
	case ModeSessionToken:
		if m := mfaARNRe().FindStringSubmatch(f.MFASerial); m != nil {
			return m[1]
		}
	}
	return ""
}

// RootMFA reports whether MFASerial names the root user's MFA device, whose
// GetSessionToken sessions last at most an hour. See IsRootMFASerial.
func (f *File) RootMFA() bool { return IsRootMFASerial(f.MFASerial) }

// Keys of a directory file.
const (
	keyRoleARN       = "role_arn"
	keySourceProfile = "source_profile"
	keyProfile       = "profile"
	keyMFASerial     = "mfa_serial"
	keyRegion        = "region"
	keySTSRegion     = "sts_region"
	keyDuration      = "duration"
	keySessionName   = "session_name"
	keyExternalID    = "external_id"
)

var fileKeys = []string{keyRoleARN, keySourceProfile, keyProfile, keyMFASerial,
	keyRegion, keySTSRegion, keyDuration, keySessionName, keyExternalID}

// lazyRegexp compiles expr on first use: most runs of the binary (every
// prompt that runs it) parse no file at all, or one that uses few of these.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// Shapes. \w is ASCII [0-9A-Za-z_] in Go regexps. The partition covers aws,
// aws-cn, aws-us-gov and the isolated and sovereign partitions
// (aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc).
var (
	// An IAM role ARN: the role name is [\w+=,.@-]{1,64}; the optional path
	// is segments of printable ASCII. STS takes role ARNs up to 2048 long.
	// Lengths are checked in code (validRoleARN): a counted repetition
	// compiles into one copy per count, which every prompt paid at start-up.
	roleARNRe = lazyRegexp(`^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role/((?:[!-.0-~]+/)*)([\w+=,.@-]+)$`)
	// A virtual MFA device ARN, with an optional path. The name may be empty:
	// see IsRootMFASerial.
	mfaARNRe = lazyRegexp(`^arn:aws(?:-[a-z]+)*:iam::(\d{12}):mfa/((?:[\w+=,.@-]+/)*)([\w+=,.@-]*)$`)
	// The pattern STS accepts for SerialNumber: a hardware token serial
	// (e.g. GAHT12345678) or a device ARN.
	serialRe = lazyRegexp(`^[\w+=/:,.@-]+$`) // 9 to 256 long
	// The root user's own ARN, which people write where the MFA device ARN
	// belongs.
	rootUserARNRe = lazyRegexp(`^arn:aws(?:-[a-z]+)*:iam::\d{12}:root$`)
	// Regions: us-east-1, ap-east-1, us-gov-west-1, cn-north-1,
	// us-iso-east-1, eusc-de-east-1 (the sovereign cloud's four-letter
	// prefix is why this allows 2-4 letters first).
	regionRe      = lazyRegexp(`^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$`)
	sessionNameRe = lazyRegexp(`^[\w+=,.@-]+$`)   // 2 to 64 long
	externalIDRe  = lazyRegexp(`^[\w+=,.@:/-]+$`) // 2 to 1224 long
)

// IsRootMFASerial reports whether serial names the root user's virtual MFA
// device.
//
// The root user's virtual MFA device has the serial
// arn:<partition>:iam::<account>:mfa/root-account-mfa-device (the fixed name
// the console gave it before IAM allowed several devices per identity). An
// ARN with no device name (arn:aws:iam::<account>:mfa/) is also taken as the
// root device. Root devices registered since IAM allowed naming them
// (November 2022) carry a chosen name and cannot be told from an IAM user's
// device by their ARN; for those STS itself caps a GetSessionToken session at
// one hour rather than failing, so the caller must honour the expiration STS
// returns, never the duration asked for.
//
// The root user's ARN (arn:aws:iam::<account>:root) is not an MFA serial at
// all and is refused by validation with a message saying what to write.
func IsRootMFASerial(serial string) bool {
	m := mfaARNRe().FindStringSubmatch(serial)
	if m == nil {
		return false
	}
	return m[3] == "" || m[3] == "root-account-mfa-device"
}

// userOnlyKeys run programs or change what is trusted, or tune the tool
// itself; a cloned repository must not be able to set them.
var userOnlyKeys = []string{keyMFAProcess, keyAllowedAccounts, keyRefreshMargin, keySTSTimeout, keyMFASessionDuration}

// credentialKeys are secrets that must never be written in a project file.
var credentialKeys = []string{"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token"}

// Load reads and validates the .awsrole.toml at path.
//
// The file must be a regular file (a symlink, FIFO, directory or device is
// refused, by Lstat and again by Fstat on the opened descriptor, which is
// opened with O_NOFOLLOW|O_NONBLOCK so a swapped-in FIFO cannot hang the
// prompt), at most 64 KiB, owned by the current user or root, and not
// writable by group or others.
func Load(path string) (*File, error) {
	if !filepath.IsAbs(path) {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, errAt(path, 0, "%s", errText(err))
		}
		path = abs
	}
	path = filepath.Clean(path)
	content, err := readSecure(path, false)
	if err != nil {
		return nil, err
	}
	return Parse(path, content)
}

// Parse validates content as the .awsrole.toml at path; it is what Load does
// after reading. path is used as given for File.Path and in errors.
func Parse(path string, content []byte) (*File, error) {
	d, err := parseDoc(path, content)
	if err != nil {
		return nil, err
	}
	f := &File{Path: path, Dir: filepath.Dir(path), Content: content}
	for _, k := range d.keys {
		if err := f.set(d, k); err != nil {
			return nil, err
		}
	}
	if err := f.validate(d); err != nil {
		return nil, err
	}
	if f.STSRegion == "" {
		f.STSRegion = f.Region
	}
	return f, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// set decodes one top-level key into f, refusing keys that do not belong.
func (f *File) set(d *doc, k string) error {
	switch {
	case contains(userOnlyKeys, k):
		return d.err(k, "%s belongs in the user config (%s), never in a directory file", quote(k), displayPath(UserPath()))
	case k == "credential_process":
		return d.err(k, "%s cannot be used in a directory file; define it in a profile in ~/.aws/config and write profile = \"<name>\"", quote(k))
	case contains(credentialKeys, strings.ToLower(k)):
		return d.err(k, "%s: credentials never go in a directory file; keep them in ~/.aws/credentials and name that profile with source_profile", quote(k))
	case !contains(fileKeys, k):
		if s := suggest(k, fileKeys); s != "" {
			return d.err(k, "unknown key %s (did you mean %q?)", quote(k), s)
		}
		return d.err(k, "unknown key %s; valid keys are %s", quote(k), strings.Join(fileKeys, ", "))
	}
	if k == keyDuration {
		dur, err := d.duration(k)
		if err != nil {
			return err
		}
		if dur == 0 {
			return d.err(k, "duration must be more than 0s; remove it to use the default")
		}
		f.Duration = dur
		return nil
	}
	s, err := d.str(k)
	if err != nil {
		return err
	}
	switch k {
	case keyRoleARN:
		f.RoleARN = s
	case keySourceProfile:
		f.SourceProfile = s
	case keyProfile:
		f.Profile = s
	case keyMFASerial:
		f.MFASerial = s
	case keyRegion:
		f.Region = s
	case keySTSRegion:
		f.STSRegion = s
	case keySessionName:
		f.SessionName = s
	case keyExternalID:
		f.ExternalID = s
	}
	return nil
}

// Duration limits, checked before any call.
const (
	minDuration = 900 * time.Second
	// AssumeRole accepts 900-43200 s. The role's own MaxSessionDuration, and
	// the one-hour cap when the source credentials are themselves a role
	// session (role chaining), are only known to STS, which checks them.
	maxRoleDuration = 43200 * time.Second
	// GetSessionToken: 900-129600 s for an IAM user, 900-3600 s for root.
	maxSessionDuration     = 129600 * time.Second
	maxRootSessionDuration = 3600 * time.Second
)

func (f *File) validate(d *doc) error {
	has := func(k string) bool { _, ok := d.prims[k]; return ok }

	// Exactly one way to get credentials.
	switch {
	case f.Profile != "" && f.RoleARN != "":
		return d.err(keyProfile, "profile and role_arn cannot be combined; write only role_arn (with source_profile for the base credentials) or only profile")
	case f.Profile != "":
		for _, k := range []string{keySourceProfile, keyMFASerial, keyExternalID, keySessionName} {
			if has(k) {
				return d.err(k, "%s cannot be combined with profile; set it in that profile's section of ~/.aws/config instead", k)
			}
		}
	case f.RoleARN == "" && f.MFASerial == "":
		return errAt(f.Path, 0, "no role_arn, profile or mfa_serial; write one of role_arn = \"arn:aws:iam::<account>:role/<name>\", profile = \"<name>\" or mfa_serial = \"<mfa device arn>\"")
	case f.RoleARN == "":
		for _, k := range []string{keyExternalID, keySessionName} {
			if has(k) {
				return d.err(k, "%s needs role_arn; it is only used when assuming a role", k)
			}
		}
	}

	if f.RoleARN != "" && !validRoleARN(f.RoleARN) {
		if strings.Contains(f.RoleARN, ":assumed-role/") {
			return d.err(keyRoleARN, "role_arn %s is a role session arn; write the role's arn: arn:aws:iam::<12-digit account>:role/<name>", quote(f.RoleARN))
		}
		return d.err(keyRoleARN, "role_arn %s is not an iam role arn; write arn:aws:iam::<12-digit account>:role/<name>", quote(f.RoleARN))
	}
	if f.MFASerial != "" {
		if err := checkMFASerial(d, f.MFASerial); err != nil {
			return err
		}
	}
	for _, k := range []string{keySourceProfile, keyProfile} {
		v := map[string]string{keySourceProfile: f.SourceProfile, keyProfile: f.Profile}[k]
		if v != "" && strings.TrimSpace(v) != v {
			return d.err(k, "%s %s has leading or trailing spaces", k, quote(v))
		}
	}
	if f.Region != "" && !regionRe().MatchString(f.Region) {
		return d.err(keyRegion, "region %s is not a region name; write e.g. \"us-east-1\"", quote(f.Region))
	}
	if f.STSRegion != "" && f.STSRegion != "aws-global" && !regionRe().MatchString(f.STSRegion) {
		return d.err(keySTSRegion, "sts_region %s is not a region name; write e.g. \"us-east-1\", or \"aws-global\" for the global endpoint", quote(f.STSRegion))
	}
	if f.Duration != 0 {
		max, what := maxRoleDuration, "a role"
		switch {
		case f.Mode() == ModeProfile:
			// The profile may assume a role; hold it to AssumeRole's limits.
			what = "a profile"
		case f.Mode() == ModeSessionToken && f.RootMFA():
			max, what = maxRootSessionDuration, "the root user's mfa session"
		case f.Mode() == ModeSessionToken:
			max, what = maxSessionDuration, "an mfa session (mfa_serial alone)"
		}
		if f.Duration < minDuration || f.Duration > max {
			return d.err(keyDuration, "duration %s is out of range for %s; write %s to %s (%d to %d seconds)",
				fmtDur(f.Duration), what, fmtDur(minDuration), fmtDur(max), int(minDuration.Seconds()), int(max.Seconds()))
		}
	}
	if f.SessionName != "" && !(sessionNameRe().MatchString(f.SessionName) && len(f.SessionName) >= 2 && len(f.SessionName) <= 64) {
		return d.err(keySessionName, "session_name %s is invalid; use 2 to 64 of the characters a-z A-Z 0-9 _ + = , . @ -", quote(f.SessionName))
	}
	if f.ExternalID != "" && !(externalIDRe().MatchString(f.ExternalID) && len(f.ExternalID) >= 2 && len(f.ExternalID) <= 1224) {
		// Not a secret, but not echoed either: it can be long.
		return d.err(keyExternalID, "external_id is invalid; use 2 to 1224 of the characters a-z A-Z 0-9 _ + = , . @ : / -")
	}
	return nil
}

func checkMFASerial(d *doc, s string) error {
	if rootUserARNRe().MatchString(s) {
		return d.err(keyMFASerial, "mfa_serial %s is the root user's arn, not its mfa device; write arn:aws:iam::<account>:mfa/root-account-mfa-device or the device arn shown in the iam console", quote(s))
	}
	if strings.HasPrefix(s, "arn:") {
		if !mfaARNRe().MatchString(s) || !validSerial(s) {
			return d.err(keyMFASerial, "mfa_serial %s is not an mfa device arn; write arn:aws:iam::<12-digit account>:mfa/<device name>", quote(s))
		}
		return nil
	}
	if !validSerial(s) {
		return d.err(keyMFASerial, "mfa_serial %s is not an mfa device; write arn:aws:iam::<12-digit account>:mfa/<device name> or a hardware token serial (9 to 256 of a-z A-Z 0-9 _ + = / : , . @ -)", quote(s))
	}
	return nil
}

func validSerial(s string) bool {
	return len(s) >= 9 && len(s) <= 256 && serialRe().MatchString(s)
}

// displayPath shortens a path under $HOME to ~/...
func displayPath(p string) string {
	if home := os.Getenv("HOME"); home != "" && home != "/" {
		if rest, ok := strings.CutPrefix(p, strings.TrimSuffix(home, "/")+"/"); ok {
			return "~/" + rest
		}
	}
	return showPath(p)
}

// DefaultSessionName derives a valid role session name from the user name
// and the base name of the directory: "<user>-<dir>", with characters STS
// does not accept replaced by '_', at most 64 characters, never empty.
func DefaultSessionName(user, dir string) string {
	clean := func(s string, max int) string {
		var b strings.Builder
		n := 0
		for _, r := range s {
			if n == max {
				break
			}
			if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_+=,.@-", r)) {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
			n++
		}
		return strings.Trim(b.String(), "_")
	}
	u := clean(user, 32)
	if u == "" {
		u = "awsrole"
	}
	base := ""
	if dir != "" {
		base = filepath.Base(dir)
		if base == "/" || base == "." {
			base = ""
		}
	}
	name := u
	if b := clean(base, 64-len(u)-1); b != "" {
		name += "-" + b
	}
	if len(name) < 2 {
		name += "-awsrole"
	}
	return name
}

func validRoleARN(s string) bool {
	m := roleARNRe().FindStringSubmatch(s)
	return m != nil && len(m[3]) <= 64 && len(s) <= 2048
}

// Digest identifies content: the sha256 (hex) that the state, the watcher's
// registrations and the helper's request all record for a file, so that
// each can tell whether the file is still what was acted on.
func Digest(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}
