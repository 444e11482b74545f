package teststs

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the TOML file cmd/teststs reads (see the package documentation
// for an example). TOML, like the rest of awsrole's files.
type Config struct {
	AllowMFACodeReuse  bool         `toml:"allow_mfa_code_reuse"`
	CredentialLifetime string       `toml:"credential_lifetime"`
	Users              []UserConfig `toml:"user"`
	Roles              []RoleConfig `toml:"role"`
	MFA                []MFAConfig  `toml:"mfa"`
}

// UserConfig is a [[user]] table.
type UserConfig struct {
	Name            string `toml:"name"`
	Account         string `toml:"account"`
	AccessKeyID     string `toml:"access_key_id"`
	SecretAccessKey string `toml:"secret_access_key"`
	Root            bool   `toml:"root"`
}

// RoleConfig is a [[role]] table.
type RoleConfig struct {
	Arn                string   `toml:"arn"`
	MaxSessionDuration string   `toml:"max_session_duration"`
	ExternalID         string   `toml:"external_id"`
	RequireMFA         bool     `toml:"require_mfa"`
	Principals         []string `toml:"principals"`
}

// MFAConfig is an [[mfa]] table.
type MFAConfig struct {
	Serial string   `toml:"serial"`
	User   string   `toml:"user"`
	Codes  []string `toml:"codes"`
}

// LoadConfig reads a config file. Unknown keys are errors: a typo must not
// silently produce a laxer STS.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cfg Config
	md, err := toml.Decode(string(data), &cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if undec := md.Undecoded(); len(undec) > 0 {
		keys := make([]string, len(undec))
		for i, k := range undec {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("%s: unknown keys: %s", path, strings.Join(keys, ", "))
	}
	return &cfg, nil
}

// AddedUser is a user created by Apply, with its access key.
type AddedUser struct {
	Arn         string
	Credentials Credentials
}

// Apply adds the config's identities to s and returns the users with their
// keys (generated ones included), in file order.
func (s *Server) Apply(cfg *Config) ([]AddedUser, error) {
	if cfg.CredentialLifetime != "" {
		d, err := time.ParseDuration(cfg.CredentialLifetime)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("credential_lifetime %q: want a positive Go duration", cfg.CredentialLifetime)
		}
		s.SetCredentialLifetime(d)
	}
	s.AllowMFACodeReuse(cfg.AllowMFACodeReuse)

	var added []AddedUser
	for _, u := range cfg.Users {
		var opts []UserOption
		if u.Account != "" {
			opts = append(opts, InAccount(u.Account))
		}
		if u.AccessKeyID != "" || u.SecretAccessKey != "" {
			opts = append(opts, WithKeys(u.AccessKeyID, u.SecretAccessKey))
		}
		c, arn, err := s.addUser(u.Name, u.Root, opts)
		if err != nil {
			return nil, err
		}
		added = append(added, AddedUser{Arn: arn, Credentials: c})
	}
	for _, r := range cfg.Roles {
		var opts []RoleOption
		if r.MaxSessionDuration != "" {
			d, err := time.ParseDuration(r.MaxSessionDuration)
			if err != nil {
				return nil, fmt.Errorf("role %s: max_session_duration: %w", r.Arn, err)
			}
			opts = append(opts, MaxSessionDuration(d))
		}
		if r.ExternalID != "" {
			opts = append(opts, RequireExternalID(r.ExternalID))
		}
		if r.RequireMFA {
			opts = append(opts, RequireMFA())
		}
		if len(r.Principals) > 0 {
			opts = append(opts, TrustPrincipals(r.Principals...))
		}
		if err := s.addRole(r.Arn, opts); err != nil {
			return nil, err
		}
	}
	for _, m := range cfg.MFA {
		if len(m.Codes) == 0 {
			return nil, fmt.Errorf("mfa %s: no codes", m.Serial)
		}
		if err := s.addMFA(m.Serial, m.User, m.Codes); err != nil {
			return nil, err
		}
	}
	return added, nil
}
