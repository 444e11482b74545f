// Package state encodes AWSROLE_STATE: what the hook set, what it saved, and
// how to put the shell back. The state is an exported variable, so every
// child process can read it: it never holds a credential awsrole obtained,
// and the user's own values saved before entering are sealed (see seal.go).
package state

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Var is the environment variable that carries the state.
const Var = "AWSROLE_STATE"

const version = 1

// State is what the hook remembers between prompts.
type State struct {
	Version int    `json:"v"`
	File    string `json:"f"`           // the .awsrole.toml it acted on
	Dir     string `json:"d"`           // the directory that file governs
	Digest  string `json:"h"`           // sha256 of the file content it acted on
	Gen     string `json:"g,omitempty"` // generation counter at that time
	Role    string `json:"r,omitempty"` // ARN or profile; empty when blocked
	Region  string `json:"rg,omitempty"`
	// Expires is when the exported credentials expire; RefreshAt is when the
	// hook should fetch new ones (Expires minus the refresh margin).
	Expires   time.Time `json:"x,omitzero"`
	RefreshAt time.Time `json:"ra,omitzero"`
	// Blocked says why no credentials are exported here (fail closed).
	Blocked string `json:"b,omitempty"`
	// Set maps every variable the hook changed to the fingerprint of the value
	// it set, or "" when it unset it.
	Set map[string]string `json:"s"`
	// Saved holds the sealed values those variables had before (nil = absent).
	Saved string `json:"o,omitempty"`
}

// Active reports whether role credentials are exported under this state.
func (s *State) Active() bool { return s != nil && s.Blocked == "" && s.Role != "" }

// Fingerprint identifies a value without revealing it. The values it is used
// for are either not secret (regions, expiry) or long random strings (keys,
// tokens), so an unsalted, truncated SHA-256 is enough to tell "still what the
// hook set" from "changed by hand".
func Fingerprint(value string) string {
	sum := sha256.Sum256([]byte("awsrole\x00" + value))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// Encode returns the value for AWSROLE_STATE.
func Encode(s *State) (string, error) {
	s.Version = version
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ErrCorrupt is returned for a state that cannot be read back.
var ErrCorrupt = errors.New("AWSROLE_STATE is not a state awsrole wrote")

// Decode reads AWSROLE_STATE; an empty value is no state (nil, nil).
func Decode(v string) (*State, error) {
	if v == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, ErrCorrupt
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil || s.Version != version || s.File == "" || s.Set == nil {
		return nil, ErrCorrupt
	}
	return &s, nil
}

// Env is an environment: name → value, absent names are unset.
type Env map[string]string

// Changes are what turns one environment into another: nil = unset.
type Changes map[string]*string

// Diff returns the changes that turn from into to, for the given names only.
func Diff(from, to Env, names []string) Changes {
	ch := Changes{}
	for _, n := range names {
		a, hadA := from[n]
		b, hasB := to[n]
		switch {
		case hasB && (!hadA || a != b):
			ch[n] = &b
		case !hasB && hadA:
			ch[n] = nil
		}
	}
	return ch
}
