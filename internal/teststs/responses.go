package teststs

// The XML bodies STS answers with. Element names and nesting follow what
// aws-sdk-go-v2's service/sts deserializers look for (<Action>Response >
// <Action>Result > fields; errors as ErrorResponse > Error > Code/Message plus
// a sibling RequestId) and what botocore's query parser expects.

import (
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"net/http"
	"time"
)

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// apiError is an STS error response.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errf(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

type xmlError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

type xmlCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type xmlMetadata struct {
	RequestID string `xml:"RequestId"`
}

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"AssumeRoleResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		AssumedRoleUser struct {
			AssumedRoleID string `xml:"AssumedRoleId"`
			Arn           string `xml:"Arn"`
		} `xml:"AssumedRoleUser"`
		Credentials xmlCredentials `xml:"Credentials"`
	} `xml:"AssumeRoleResult"`
	Metadata xmlMetadata `xml:"ResponseMetadata"`
}

type getSessionTokenResponse struct {
	XMLName xml.Name `xml:"GetSessionTokenResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Credentials xmlCredentials `xml:"Credentials"`
	} `xml:"GetSessionTokenResult"`
	Metadata xmlMetadata `xml:"ResponseMetadata"`
}

type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	Metadata xmlMetadata `xml:"ResponseMetadata"`
}

func toXMLCredentials(c *credential) xmlCredentials {
	return xmlCredentials{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		Expiration:      c.Expiration.UTC().Format(time.RFC3339), // e.g. 2026-01-02T15:04:05Z
	}
}

// writeXML sends a 200 response with the request ID both in the body and in
// x-amzn-RequestId, which is where the SDK's RequestIDRetriever reads it.
func writeXML(w http.ResponseWriter, requestID string, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		panic(err) // static shapes: cannot fail
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	body, _ := xml.Marshal(xmlError{Xmlns: stsNamespace, Type: typ, Code: e.code, Message: e.message, RequestID: requestID})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(e.status)
	w.Write(body)
}

// newRequestID returns a random UUID, the format of STS request IDs.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
