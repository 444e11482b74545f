package teststs

// SigV4 verification, written from the published algorithm (canonical
// request -> string to sign -> derived signing key -> HMAC). The server only
// trusts the header list the client says it signed (SignedHeaders), so it does
// not need to know which headers each SDK chooses to sign.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	amzDateFmt   = "20060102T150405Z"
	// maxSkew is how far the request time may be from the server's clock;
	// STS answers SignatureDoesNotMatch "Signature expired" beyond it.
	maxSkew = 5 * time.Minute
)

// sigAuth is the parsed Authorization header of a SigV4 request.
type sigAuth struct {
	accessKeyID   string
	scopeDate     string // YYYYMMDD
	region        string
	service       string
	signedHeaders []string // lower case, as sent (must be sorted)
	signature     string   // hex
	amzDate       string   // X-Amz-Date (or Date converted) as sent
	time          time.Time
}

func (a *sigAuth) scope() string {
	return a.scopeDate + "/" + a.region + "/" + a.service + "/aws4_request"
}

// parseAuth extracts the SigV4 fields of r without checking the signature.
func parseAuth(r *http.Request) (*sigAuth, *apiError) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if r.URL.Query().Get("X-Amz-Algorithm") != "" {
			// Presigned (query-string) auth: neither the SDK's STS client nor
			// the CLI use it for these actions, so it is not emulated.
			return nil, errf(400, "InvalidRequest", "teststs: presigned requests are not supported")
		}
		return nil, errf(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	alg, rest, _ := strings.Cut(h, " ")
	if alg != sigAlgorithm {
		return nil, errf(400, "IncompleteSignature", fmt.Sprintf("Unsupported AWS 'algorithm': '%s'", alg))
	}
	a := &sigAuth{}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, errf(400, "IncompleteSignature", fmt.Sprintf("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", part, h))
		}
		fields[k] = v
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return nil, errf(400, "IncompleteSignature", fmt.Sprintf("Authorization header requires '%s' parameter. Authorization=%s", k, h))
		}
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 5 || cred[4] != "aws4_request" {
		return nil, errf(400, "IncompleteSignature", fmt.Sprintf("Credential should be scoped to a valid region. Credential=%s", fields["Credential"]))
	}
	a.accessKeyID, a.scopeDate, a.region, a.service = cred[0], cred[1], cred[2], cred[3]
	a.signedHeaders = strings.Split(fields["SignedHeaders"], ";")
	a.signature = fields["Signature"]

	if d := r.Header.Get("X-Amz-Date"); d != "" {
		t, err := time.Parse(amzDateFmt, d)
		if err != nil {
			return nil, errf(400, "IncompleteSignature", fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'.", d))
		}
		a.amzDate, a.time = d, t
	} else if d := r.Header.Get("Date"); d != "" {
		t, err := http.ParseTime(d)
		if err != nil {
			return nil, errf(400, "IncompleteSignature", "Date must be in ISO-8601 'basic format'.")
		}
		a.amzDate, a.time = t.UTC().Format(amzDateFmt), t
	} else {
		return nil, errf(400, "IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	return a, nil
}

// checkScope applies the checks STS makes on the credential scope and time
// before it looks at the signature.
func (a *sigAuth) checkScope(now time.Time) *apiError {
	if a.service != "sts" {
		return errf(403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'. ")
	}
	if a.region == "" {
		return errf(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region. ")
	}
	if day := a.amzDate[:8]; a.scopeDate != day {
		return errf(403, "SignatureDoesNotMatch", fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			a.scopeDate, day, a.amzDate))
	}
	if !contains(a.signedHeaders, "host") {
		return errf(403, "SignatureDoesNotMatch", "'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if !sort.StringsAreSorted(a.signedHeaders) {
		return errf(403, "SignatureDoesNotMatch", signatureMismatchMessage)
	}
	// Same wording and codes as STS: both directions are SignatureDoesNotMatch.
	now = now.UTC()
	if a.time.Before(now.Add(-maxSkew)) {
		return errf(403, "SignatureDoesNotMatch", fmt.Sprintf(
			"Signature expired: %s is now earlier than %s (%s - 5 min.)",
			a.amzDate, now.Add(-maxSkew).Format(amzDateFmt), now.Format(amzDateFmt)))
	}
	if a.time.After(now.Add(maxSkew)) {
		return errf(403, "SignatureDoesNotMatch", fmt.Sprintf(
			"Signature not yet current: %s is still later than %s (%s + 5 min.)",
			a.amzDate, now.Add(maxSkew).Format(amzDateFmt), now.Format(amzDateFmt)))
	}
	return nil
}

const signatureMismatchMessage = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// verify recomputes the signature of r (whose body was read into body) with
// secret and compares it in constant time.
func (a *sigAuth) verify(r *http.Request, body []byte, secret string) *apiError {
	payloadHash := sha256Hex(body)
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != "UNSIGNED-PAYLOAD" {
		if h != payloadHash {
			return errf(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
	} else if h == "UNSIGNED-PAYLOAD" {
		payloadHash = h
	}
	want := a.sign(canonicalRequest(r, a.signedHeaders, payloadHash), secret)
	got, err := hex.DecodeString(a.signature)
	if err != nil || !hmac.Equal(got, want) {
		return errf(403, "SignatureDoesNotMatch", signatureMismatchMessage)
	}
	return nil
}

// sign returns the raw signature of a canonical request.
func (a *sigAuth) sign(canonical, secret string) []byte {
	stringToSign := sigAlgorithm + "\n" + a.amzDate + "\n" + a.scope() + "\n" + sha256Hex([]byte(canonical))
	key := hmacSHA256([]byte("AWS4"+secret), a.scopeDate)
	key = hmacSHA256(key, a.region)
	key = hmacSHA256(key, a.service)
	key = hmacSHA256(key, "aws4_request")
	return hmacSHA256(key, stringToSign)
}

// canonicalRequest builds the SigV4 canonical request:
//
//	METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADERS \n PAYLOAD-HASH
func canonicalRequest(r *http.Request, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(canonicalURI(r.URL) + "\n")
	b.WriteString(canonicalQuery(r.URL.RawQuery) + "\n")
	for _, name := range signed {
		b.WriteString(name + ":" + canonicalHeaderValue(r, name) + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n")
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalURI encodes each path segment once more on top of the escaping it
// already has: every service except S3 signs the doubly-encoded path.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = uriEncode(s)
	}
	return strings.Join(segs, "/")
}

// canonicalQuery sorts the query parameters by encoded name, then value.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			dk, dv = k, v
		}
		pairs = append(pairs, kv{uriEncode(dk), uriEncode(dv)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.k + "=" + p.v
	}
	return strings.Join(out, "&")
}

// canonicalHeaderValue returns the trimmed, space-collapsed, comma-joined
// values of a header. Go's server moves Host and (sometimes) Content-Length
// out of r.Header, so those come from the request fields.
func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	default:
		vals = append(vals, r.Header.Values(name)...) // a copy: trimmed below
		if len(vals) == 0 && name == "content-length" && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// uriEncode percent-encodes everything but the RFC 3986 unreserved set.
func uriEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
