package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/doctor"
	"github.com/awsrole/awsrole/hook/state"
	"github.com/spf13/cobra"
)

func promptCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "prompt [--format F]",
		Short: "Print a short prompt segment: the role's name and the time left",
		Long: `Print a short segment for any prompt, such as "deploy 42m", from the
environment alone (no files, no network: it is cheap enough for every prompt).
Nothing is printed without a role; "blocked" when the hook blocked the file
here; "expired" after expiry. In --format, {role} is the short name (the role
name, profile or MFA device), {arn} the full AWSROLE_ROLE, {account} its
account, {region} AWS_REGION and {left} the time left.

starship's aws module shows the expiry by itself: awsrole exports
AWS_CREDENTIAL_EXPIRATION and AWS_SESSION_EXPIRATION in RFC 3339.`,
		Example: `  PS1='$(awsrole prompt) \$ '                       # bash
  awsrole prompt --format '[{role}@{account} {left}]'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if s := promptSegment(os.Getenv, format, time.Now()); s != "" {
				fmt.Fprintln(c.OutOrStdout(), s)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "{role} {left}", "the segment, with {role} {arn} {account} {region} {left}")
	return cmd
}

func promptSegment(getenv func(string) string, format string, now time.Time) string {
	arn := getenv(hook.RoleVar)
	if arn == "" {
		if st, err := state.Decode(getenv(state.Var)); err == nil && st != nil && st.Blocked != "" {
			return "blocked"
		}
		return ""
	}
	left := ""
	if exp := getenv("AWS_CREDENTIAL_EXPIRATION"); exp != "" {
		if t, err := time.Parse(time.RFC3339, exp); err == nil {
			if d := t.Sub(now); d > 0 {
				left = doctor.Ago(d)
			} else {
				left = "expired"
			}
		}
	}
	short := strings.TrimPrefix(arn, "profile ")
	if i := strings.LastIndexByte(short, '/'); i >= 0 {
		short = short[i+1:]
	}
	account := ""
	if parts := strings.Split(arn, ":"); len(parts) > 4 {
		account = parts[4]
	}
	s := strings.NewReplacer("{role}", short, "{arn}", arn, "{account}", account,
		"{region}", getenv("AWS_REGION"), "{left}", left).Replace(format)
	return strings.TrimSpace(s)
}
