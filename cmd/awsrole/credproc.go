package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/awsrole/awsrole/hook"
	"github.com/spf13/cobra"
)

// credProcessVar marks the environment of a credential-process run, so a
// profile whose credential_process leads back to awsrole stops at once
// instead of running itself forever.
const credProcessVar = "AWSROLE_CREDENTIAL_PROCESS"

// processCredentials is the output format of an AWS credential_process.
type processCredentials struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken,omitempty"`
	Expiration      string `json:"Expiration,omitempty"`
}

func credentialProcessCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "credential-process [--dir D]",
		Short: "Print a directory's credentials for an AWS SDK's credential_process",
		Long: `Print the credentials of the .awsrole.toml that governs D as the JSON an AWS
SDK reads from a credential_process (Version 1, with Expiration), from the same
cache the shells use: every SDK and tool then shares one set of credentials,
refreshed before they expire. It never asks for an MFA code (the SDK gives it
no terminal) unless mfa_process is set; run 'awsrole login' first.

In ~/.aws/config:
  [profile infra]
  credential_process = awsrole credential-process --dir /home/alice/src/infra`,
		Example: "  awsrole credential-process --dir ~/src/infra\n  AWS_PROFILE=infra aws s3 ls",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			env := environ()
			if env[credProcessVar] != "" {
				return fmt.Errorf("credential-process ran itself: the base credentials of %s come from a profile whose credential_process is awsrole; give the file a source_profile with credentials of its own", dirArg(dir))
			}
			env[credProcessVar] = "1"
			// No progress indicator: the caller is an SDK, not a person.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			e := hook.NewEngine(hook.DefaultPaths())
			e.Prompt = e.MFAPrompt(false)
			r, err := e.Resolve(ctx, env, dirArg(dir))
			if err != nil {
				return err
			}
			out := processCredentials{Version: 1, AccessKeyID: r.Credentials.AccessKeyID,
				SecretAccessKey: r.Credentials.SecretAccessKey, SessionToken: r.Credentials.SessionToken}
			if !r.Credentials.Expires.IsZero() {
				out.Expiration = r.Credentials.Expires.UTC().Format(time.RFC3339)
			}
			b, err := json.Marshal(out)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "%s\n", b)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "the directory whose role to use (default: the working directory)")
	return cmd
}
