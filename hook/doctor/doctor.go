// Package doctor finds the reasons AWS credentials fail in a shell: stale or
// half-set variables, expired credentials, shadowed profiles, global STS
// tokens meant for opt-in regions, a blocked or broken .awsrole.toml, and a
// shell that does not run the hook. Each finding is one line with its fix.
package doctor

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/state"
	"github.com/awsrole/awsrole/hook/trust"
)

// HookVar is exported by the shell hook at every prompt as "SHELL:PID", so a
// command started from that prompt can tell that its shell runs the hook.
const HookVar = "AWSROLE_HOOK"

// Input is everything doctor looks at; the caller reads it from the machine.
type Input struct {
	Env map[string]string
	Now time.Time
	// ConfigFile and CredentialsFile are the AWS shared files (paths as they
	// are shown), Config and Credentials their profiles.
	ConfigFile, CredentialsFile string
	Config, Credentials         Profiles
	// Here is the nearest .awsrole.toml, "" when there is none.
	Here     string
	TrustDir string
	User     *config.User
	UserErr  error
	// Shell is the process doctor was started from; nil: the hook is not
	// checked (doctor is not at an interactive prompt).
	Shell *Shell
}

// Shell is the parent process of doctor.
type Shell struct {
	PID  int
	Name string // its command name ("bash"), "" when unknown
}

// Finding is one problem and how to fix it.
type Finding struct {
	ID      string // short and stable: security-token, expired, …
	Problem string
	Fix     string
}

func (f Finding) String() string { return f.ID + ": " + f.Problem + "; fix: " + f.Fix }

// Check runs every check and returns the problems found, in a fixed order.
func Check(in Input) []Finding {
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	var out []Finding
	for _, check := range []func(Input) []Finding{
		securityToken, sessionToken, expired, shadowedProfile, missingProfile,
		globalSTS, hereFile, hookRuns,
	} {
		out = append(out, check(in)...)
	}
	return out
}

// securityToken: botocore (the AWS CLI) reads AWS_SECURITY_TOKEN before
// AWS_SESSION_TOKEN, so a different one left by another tool wins.
func securityToken(in Input) []Finding {
	var out []Finding
	sec, hasSec := in.Env["AWS_SECURITY_TOKEN"]
	if hasSec && sec != in.Env["AWS_SESSION_TOKEN"] {
		out = append(out, Finding{"security-token",
			"AWS_SECURITY_TOKEN differs from AWS_SESSION_TOKEN, and the AWS CLI uses it first (ExpiredToken, InvalidClientTokenId)",
			"unset AWS_SECURITY_TOKEN"})
	}
	for _, name := range sortedNames(in.Credentials) {
		p := in.Credentials[name]
		if s, ok := p["aws_security_token"]; ok && s != p["aws_session_token"] {
			out = append(out, Finding{"security-token",
				fmt.Sprintf("profile %s in %s has an aws_security_token that differs from its aws_session_token, and the AWS CLI uses it first", name, in.CredentialsFile),
				fmt.Sprintf("delete aws_security_token from [%s] in %s", name, in.CredentialsFile)})
		}
	}
	return out
}

// sessionToken: temporary keys (ASIA…) fail without the token they came
// with; a key without its secret (or the reverse) fails too.
func sessionToken(in Input) []Finding {
	var out []Finding
	key, secret := in.Env["AWS_ACCESS_KEY_ID"], in.Env["AWS_SECRET_ACCESS_KEY"]
	switch {
	case strings.HasPrefix(key, "ASIA") && in.Env["AWS_SESSION_TOKEN"] == "":
		out = append(out, Finding{"session-token",
			"AWS_ACCESS_KEY_ID is a temporary key (ASIA…) but AWS_SESSION_TOKEN is not set, so every call fails (InvalidClientTokenId)",
			"export the session token that came with the key, or unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY"})
	case (key == "") != (secret == ""):
		set, unset := "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"
		if key == "" {
			set, unset = unset, set
		}
		out = append(out, Finding{"session-token",
			fmt.Sprintf("%s is set but %s is not; a key and its secret only work together", set, unset),
			"unset " + set + ", or export " + unset})
	}
	for _, name := range sortedNames(in.Credentials) {
		p := in.Credentials[name]
		if strings.HasPrefix(p["aws_access_key_id"], "ASIA") && p["aws_session_token"] == "" {
			out = append(out, Finding{"session-token",
				fmt.Sprintf("profile %s in %s has a temporary key (ASIA…) without aws_session_token", name, in.CredentialsFile),
				fmt.Sprintf("add the aws_session_token that came with the key to [%s], or remove the profile", name)})
		}
	}
	return out
}

// expired: credentials in the environment whose expiration has passed.
func expired(in Input) []Finding {
	fix := "get new credentials, or unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN " +
		"AWS_CREDENTIAL_EXPIRATION AWS_SESSION_EXPIRATION"
	if in.Env[state.Var] != "" {
		fix = "run 'awsrole login' (the prompt hook then exports new ones)"
	}
	for _, name := range []string{"AWS_CREDENTIAL_EXPIRATION", "AWS_SESSION_EXPIRATION"} {
		v, ok := in.Env[name]
		if !ok || v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return []Finding{{"expired", fmt.Sprintf("%s=%q is not an RFC 3339 time, so no tool can tell when the credentials expire", name, v),
				"unset " + name + ", or set it as 2006-01-02T15:04:05Z"}}
		}
		if !t.After(in.Now) {
			return []Finding{{"expired", fmt.Sprintf("the credentials in the environment expired at %s (%s ago; %s), so calls fail with ExpiredToken",
				t.UTC().Format(time.RFC3339), Ago(in.Now.Sub(t)), name), fix}}
		}
	}
	return nil
}

// shadowedProfile: keys in the environment beat AWS_PROFILE in every SDK.
func shadowedProfile(in Input) []Finding {
	if in.Env["AWS_ACCESS_KEY_ID"] == "" {
		return nil
	}
	for _, name := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if p := in.Env[name]; p != "" {
			return []Finding{{"shadowed-profile",
				fmt.Sprintf("AWS_ACCESS_KEY_ID in the environment takes precedence over %s=%s, so the profile's credentials are not used", name, p),
				fmt.Sprintf("unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN to use profile %s, or unset %s", p, name)}}
		}
	}
	return nil
}

// missingProfile: AWS_PROFILE names a profile neither file has.
func missingProfile(in Input) []Finding {
	for _, name := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if p := in.Env[name]; p != "" && !in.Config.Has(p) && !in.Credentials.Has(p) {
			return []Finding{{"missing-profile",
				fmt.Sprintf("%s=%s names a profile that is in neither %s nor %s", name, p, in.ConfigFile, in.CredentialsFile),
				fmt.Sprintf("add [profile %s] to %s, or unset %s", p, in.ConfigFile, name)}}
		}
	}
	return nil
}

// globalSTS: tokens from the global endpoint are v1 tokens, which opt-in
// regions reject (AuthFailure) unless the account switched to v2 tokens.
func globalSTS(in Input) []Finding {
	var out []Finding
	envLegacy := strings.EqualFold(in.Env["AWS_STS_REGIONAL_ENDPOINTS"], "legacy")
	active := in.Env["AWS_PROFILE"]
	if active == "" {
		active = "default"
	}
	for _, name := range sortedNames(in.Config) {
		p := in.Config[name]
		region := p["region"]
		if name == active {
			if r := firstSet(in.Env, "AWS_REGION", "AWS_DEFAULT_REGION"); r != "" {
				region = r
			}
		}
		switch {
		case !OptIn(region):
		case strings.EqualFold(p["sts_regional_endpoints"], "legacy"):
			out = append(out, Finding{"global-sts",
				fmt.Sprintf("profile %s uses opt-in region %s with sts_regional_endpoints = legacy, so the AWS CLI may get global STS tokens that %s rejects (AuthFailure)", name, region, region),
				fmt.Sprintf("set sts_regional_endpoints = regional in [%s] of %s", sectionName(name), in.ConfigFile)})
		case envLegacy && name == active:
			out = append(out, Finding{"global-sts",
				fmt.Sprintf("AWS_STS_REGIONAL_ENDPOINTS=legacy with opt-in region %s (profile %s), so the AWS CLI may get global STS tokens that %s rejects (AuthFailure)", region, name, region),
				"unset AWS_STS_REGIONAL_ENDPOINTS (or set it to regional)"})
		}
	}
	if envLegacy && !in.Config.Has(active) {
		if r := firstSet(in.Env, "AWS_REGION", "AWS_DEFAULT_REGION"); OptIn(r) {
			out = append(out, Finding{"global-sts",
				fmt.Sprintf("AWS_STS_REGIONAL_ENDPOINTS=legacy with opt-in region %s, so the AWS CLI may get global STS tokens that %s rejects (AuthFailure)", r, r),
				"unset AWS_STS_REGIONAL_ENDPOINTS (or set it to regional)"})
		}
	}
	if in.Here != "" {
		if f, err := config.Load(in.Here); err == nil && f.STSRegion == "aws-global" && OptIn(f.Region) {
			out = append(out, Finding{"global-sts",
				fmt.Sprintf("%s uses opt-in region %s with sts_region = \"aws-global\": global STS tokens are rejected there (AuthFailure)", in.Here, f.Region),
				fmt.Sprintf("remove sts_region from %s so STS is called in %s, then run 'awsrole allow'", in.Here, f.Region)})
		}
	}
	return out
}

// hereFile: the nearest .awsrole.toml is invalid, not trusted, refused by
// the user config, or names a profile that does not exist; or the hook
// blocked it for another reason (an STS error) that it recorded.
func hereFile(in Input) []Finding {
	if in.UserErr != nil {
		return []Finding{{"user-config", oneLine(in.UserErr.Error()) + "; every .awsrole.toml is blocked until it is fixed", "correct the user config"}}
	}
	if in.Here == "" {
		return nil
	}
	f, err := config.Load(in.Here)
	if err != nil {
		return []Finding{{"invalid-file", oneLine(err.Error()), "correct the file ('awsrole edit' checks it on save)"}}
	}
	var out []Finding
	switch st, err := (trust.Store{Dir: in.TrustDir}).Check(f.Path, f.Content); {
	case err != nil:
		out = append(out, Finding{"blocked", fmt.Sprintf("%s cannot be checked against the trust store: %s", f.Path, oneLine(err.Error())), "check the permissions of " + in.TrustDir})
	case st == trust.Denied:
		out = append(out, Finding{"blocked", f.Path + " is denied, so the hook exports no credentials here", "read it, then run 'awsrole allow'"})
	case st == trust.Changed:
		out = append(out, Finding{"blocked", f.Path + " changed since it was allowed, so the hook exports no credentials here", "read the change, then run 'awsrole allow'"})
	case st != trust.Allowed:
		out = append(out, Finding{"blocked", f.Path + " is not allowed, so the hook exports no credentials here", "read it, then run 'awsrole allow'"})
	}
	if in.User != nil {
		switch acct := f.AccountID(); {
		case acct == "" && !in.User.AccountAllowed(""):
			out = append(out, Finding{"blocked", f.Path + " does not name its account, and allowed_accounts in the user config is set", "use role_arn in " + f.Path})
		case acct != "" && !in.User.AccountAllowed(acct):
			out = append(out, Finding{"blocked", fmt.Sprintf("%s names account %s, which allowed_accounts in the user config does not list", f.Path, acct), "add " + acct + " to allowed_accounts if you trust it"})
		}
	}
	for _, ref := range []struct{ key, name string }{{"profile", f.Profile}, {"source_profile", f.SourceProfile}} {
		if ref.name != "" && !in.Config.Has(ref.name) && !in.Credentials.Has(ref.name) {
			out = append(out, Finding{"missing-profile",
				fmt.Sprintf("%s has %s = %q, which is in neither %s nor %s", f.Path, ref.key, ref.name, in.ConfigFile, in.CredentialsFile),
				fmt.Sprintf("add [%s] to %s, or name an existing profile", sectionName(ref.name), in.ConfigFile)})
		}
	}
	if len(out) > 0 {
		return out
	}
	// The file itself is fine: the hook may still have failed here (STS
	// refused, MFA needed) and said why in its state.
	if st, err := state.Decode(in.Env[state.Var]); err == nil && st != nil && st.Blocked != "" && st.File == f.Path && st.Digest == config.Digest(f.Content) {
		return []Finding{{"blocked", "the hook exports no credentials here: " + oneLine(st.Blocked), "run 'awsrole login' to try again and see the error"}}
	}
	return nil
}

// hookRuns: the hook exports HookVar=SHELL:PID at every prompt; doctor,
// started from that prompt, is that shell's child.
func hookRuns(in Input) []Finding {
	if in.Shell == nil {
		return nil
	}
	v := in.Env[HookVar]
	_, pid, _ := strings.Cut(v, ":")
	if v != "" && pid == strconv.Itoa(in.Shell.PID) {
		return nil
	}
	sh := in.Shell.Name
	if sh != "bash" && sh != "zsh" && sh != "fish" {
		sh = filepath.Base(in.Env["SHELL"])
	}
	fix := map[string]string{
		"bash": `add eval "$(awsrole hook bash)" at the end of ~/.bashrc (after anything that sets PROMPT_COMMAND) and open a new shell`,
		"zsh":  `add eval "$(awsrole hook zsh)" at the end of ~/.zshrc and open a new shell`,
		"fish": `add 'awsrole hook fish | source' to ~/.config/fish/config.fish and open a new shell`,
	}[sh]
	if fix == "" {
		fix = "run doctor from an interactive bash, zsh or fish that loads the hook ('awsrole hook SHELL')"
	}
	who := "this shell"
	if in.Shell.Name != "" {
		who = fmt.Sprintf("this shell (%s, pid %d)", in.Shell.Name, in.Shell.PID)
	}
	problem := who + " does not run the awsrole hook at its prompt, so credentials do not follow the directory"
	if v != "" {
		problem += fmt.Sprintf(" (the hook runs in shell %s, not here)", v)
	}
	return []Finding{{"hook", problem, fix}}
}

// Ago formats a duration for people: "42m", "3h05m", "2d4h", "40s".
func Ago(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

func sectionName(profile string) string {
	if profile == "default" {
		return "default"
	}
	return "profile " + profile
}

func sortedNames(p Profiles) []string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func firstSet(env map[string]string, names ...string) string {
	for _, n := range names {
		if v := env[n]; v != "" {
			return v
		}
	}
	return ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
