package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/doctor"
	"github.com/awsrole/awsrole/hook/state"
	"github.com/awsrole/awsrole/hook/trust"
	"github.com/awsrole/awsrole/hook/watch"
	"github.com/spf13/cobra"
)

// statusReport is `awsrole status --json`, schema 1. Fields are only ever
// added; README.md documents each. Never a secret.
type statusReport struct {
	Schema int `json:"schema"` // 1
	// Active: role credentials are exported in this shell.
	Active bool `json:"active"`
	// Role is AWSROLE_ROLE: the role ARN, "profile NAME" or the MFA serial.
	Role string `json:"role"`
	// File is the .awsrole.toml the shell's role (or block) comes from.
	File string `json:"file"`
	// Blocked says why no credentials are exported ("" when not blocked).
	Blocked string        `json:"blocked"`
	Source  *statusSource `json:"source"` // null without a role or block
	Region  string        `json:"region"`
	// STSRegion and STSEndpoint are where STS is called for the file.
	STSRegion   string `json:"sts_region"`
	STSEndpoint string `json:"sts_endpoint"`
	// Expires is RFC 3339 UTC ("" when the credentials do not expire);
	// ExpiresInSeconds is negative once they have expired.
	Expires          string            `json:"expires"`
	ExpiresInSeconds int64             `json:"expires_in_seconds"`
	MFASession       *statusMFA        `json:"mfa_session"` // null without mfa_serial
	Here             statusHere        `json:"here"`
	Watcher          statusWatcher     `json:"watcher"`
	StateError       string            `json:"state_error,omitempty"`
	raw              *config.File      `json:"-"`
	st               *state.State      `json:"-"`
	paths            hook.Paths        `json:"-"`
	env              map[string]string `json:"-"`
}

type statusSource struct {
	Mode          string `json:"mode"` // role, profile or session-token
	RoleARN       string `json:"role_arn"`
	Profile       string `json:"profile"`
	SourceProfile string `json:"source_profile"` // "" = the SDK's default chain
	MFASerial     string `json:"mfa_serial"`
}

type statusMFA struct {
	Serial  string `json:"serial"`
	Active  bool   `json:"active"`  // a cached MFA session serves new roles without a code
	Expires string `json:"expires"` // RFC 3339 UTC, "" when not active
}

type statusHere struct {
	File string `json:"file"` // the nearest .awsrole.toml, "" when none
	// Trust: allowed, not-allowed, denied, changed, invalid, none or error.
	Trust string `json:"trust"`
	Error string `json:"error,omitempty"`
}

type statusWatcher struct {
	Running bool `json:"running"`
	PID     int  `json:"pid"` // 0 when not running or unknown
}

func statusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Show the active role, where it comes from, when it expires, and the file here",
		Long: `Show the role this shell has, the file it comes from, the source of the base
credentials, the region and STS endpoint, the expiry (as a time and as "in 42m"),
the state of the MFA session, whether the .awsrole.toml here is trusted, and
whether the watcher runs. Never a secret. --json prints the same as a stable
object (schema 1, documented in the README).`,
		Example: "  awsrole status\n  awsrole status --json | jq -r .expires",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			r := buildStatus(environ(), workDir(), time.Now())
			if asJSON {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			r.print(c.OutOrStdout(), time.Now())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object (schema 1)")
	return cmd
}

func buildStatus(env state.Env, dir string, now time.Time) *statusReport {
	p := hook.DefaultPaths()
	r := &statusReport{Schema: 1, paths: p, env: env}
	r.Watcher.PID = watch.PID(p)
	r.Watcher.Running = r.Watcher.PID != 0 || watch.Running(p)
	r.Here = hereStatus(p, dir)
	st, err := state.Decode(env[state.Var])
	if err != nil {
		r.StateError = "AWSROLE_STATE is damaged; open a new shell"
	}
	r.st = st
	if st == nil {
		return r
	}
	r.File, r.Blocked = st.File, st.Blocked
	r.Active = st.Active()
	if r.Active {
		r.Role, r.Region = st.Role, st.Region
		if !st.Expires.IsZero() {
			r.Expires = st.Expires.UTC().Format(time.RFC3339)
			r.ExpiresInSeconds = int64(st.Expires.Sub(now) / time.Second)
		}
	}
	f, err := config.Load(st.File)
	if err != nil {
		return r
	}
	r.raw = f
	r.Source = &statusSource{Mode: f.Mode().String(), RoleARN: f.RoleARN, Profile: f.Profile,
		SourceProfile: f.SourceProfile, MFASerial: f.MFASerial}
	if r.Region == "" {
		r.Region = f.Region
	}
	r.STSRegion = f.STSRegion
	if r.STSRegion == "" && f.Profile != "" {
		cfgFile, _ := awsFiles(env)
		if profiles, err := doctor.ReadProfiles(cfgFile, false); err == nil {
			r.STSRegion = profiles[f.Profile]["region"]
		}
	}
	r.STSEndpoint = stsEndpoint(env, r.STSRegion)
	if f.MFASerial != "" {
		r.MFASession = &statusMFA{Serial: f.MFASerial}
		if exp := hook.NewEngine(p).MFASession(env, f); !exp.IsZero() {
			r.MFASession.Active, r.MFASession.Expires = true, exp.UTC().Format(time.RFC3339)
		}
	}
	return r
}

func hereStatus(p hook.Paths, dir string) statusHere {
	here, err := config.Find(dir)
	switch {
	case err != nil:
		return statusHere{Trust: "error", Error: oneLine(err.Error())}
	case here == "":
		return statusHere{Trust: "none"}
	}
	f, err := config.Load(here)
	if err != nil {
		return statusHere{File: here, Trust: "invalid", Error: oneLine(err.Error())}
	}
	ts, err := trust.Store{Dir: p.Data}.Check(f.Path, f.Content)
	switch {
	case err != nil:
		return statusHere{File: here, Trust: "error", Error: oneLine(err.Error())}
	case ts == trust.Allowed:
		return statusHere{File: here, Trust: "allowed"}
	case ts == trust.Denied:
		return statusHere{File: here, Trust: "denied"}
	case ts == trust.Changed:
		return statusHere{File: here, Trust: "changed"}
	}
	return statusHere{File: here, Trust: "not-allowed"}
}

var trustWords = map[string]string{
	"allowed": "allowed", "not-allowed": "not allowed; run 'awsrole allow' to trust it",
	"denied": "denied", "changed": "changed since allowed; run 'awsrole allow' to trust it",
}

func (r *statusReport) print(w io.Writer, now time.Time) {
	// Values name files a cloned repository chose: escaped like every message.
	line := func(k, format string, a ...any) {
		fmt.Fprintf(w, "%-13s%s\n", k+":", oneLine(fmt.Sprintf(format, a...)))
	}
	switch {
	case r.StateError != "":
		line("role", "none (%s)", r.StateError)
	case r.st == nil:
		line("role", "none")
	case !r.Active:
		line("role", "none (blocked)")
		line("file", "%s", r.File)
		line("reason", "%s", oneLine(r.Blocked))
	default:
		line("role", "%s", r.Role)
		line("file", "%s", r.File)
	}
	if r.Source != nil && r.Active {
		switch {
		case r.Source.Profile != "":
			line("source", "profile %s from %s", r.Source.Profile, displayFile(r.env, true))
		case r.Source.SourceProfile != "":
			line("source", "%s, base credentials from profile %s", r.Source.Mode, r.Source.SourceProfile)
		default:
			line("source", "%s, base credentials from the default chain", r.Source.Mode)
		}
	}
	if r.Region != "" && r.Active {
		line("region", "%s", r.Region)
	}
	if r.STSEndpoint != "" && r.Active {
		line("sts", "%s (region %s)", r.STSEndpoint, r.STSRegion)
	}
	if r.Active && r.st != nil {
		if r.st.Expires.IsZero() {
			line("expires", "never (long-term keys from the profile)")
		} else {
			line("expires", "%s (%s)", r.st.Expires.Local().Format("2006-01-02 15:04:05 MST"), relative(r.st.Expires.Sub(now)))
		}
	}
	if m := r.MFASession; m != nil {
		if m.Active {
			exp, _ := time.Parse(time.RFC3339, m.Expires)
			line("mfa session", "%s, active until %s (%s)", m.Serial, exp.Local().Format("15:04 MST"), relative(exp.Sub(now)))
		} else {
			line("mfa session", "%s, none cached (the next role needs a code: awsrole login)", m.Serial)
		}
	}
	switch h := r.Here; h.Trust {
	case "none":
		line("here", "no %s here or above", config.FileName)
	case "invalid", "error":
		line("here", "%s (%s: %s)", h.File, h.Trust, h.Error)
	default:
		line("here", "%s (%s)", h.File, trustWords[h.Trust])
	}
	if r.Watcher.Running && r.Watcher.PID != 0 {
		line("watcher", "running (pid %d)", r.Watcher.PID)
	} else if r.Watcher.Running {
		line("watcher", "running")
	} else {
		line("watcher", "not running")
	}
}

// relative says "in 42m" or "expired 3m ago".
func relative(d time.Duration) string {
	if d <= 0 {
		return "expired " + doctor.Ago(-d) + " ago"
	}
	return "in " + doctor.Ago(d)
}

// awsFiles are the AWS shared config and credentials files of env.
func awsFiles(env map[string]string) (cfg, creds string) {
	home := env["HOME"]
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	cfg, creds = env["AWS_CONFIG_FILE"], env["AWS_SHARED_CREDENTIALS_FILE"]
	if cfg == "" {
		cfg = filepath.Join(home, ".aws", "config")
	}
	if creds == "" {
		creds = filepath.Join(home, ".aws", "credentials")
	}
	return cfg, creds
}

func displayFile(env map[string]string, configFile bool) string {
	cfg, creds := awsFiles(env)
	if configFile {
		return cfg
	}
	return creds
}
