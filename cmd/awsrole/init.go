package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/doctor"
	"github.com/spf13/cobra"
)

func initCmd() *cobra.Command {
	var profile, roleARN, region, dir string
	cmd := &cobra.Command{
		Use:   "init [--profile P | --role-arn ARN] [--region R]",
		Short: "Write a commented .awsrole.toml here and allow it",
		Long: `Write a commented .awsrole.toml in the working directory (or --dir) and allow
it. With --role-arn the file assumes that role from your default credentials.
With --profile it copies that ~/.aws/config profile: a role profile
(role_arn with source_profile) becomes role_arn, source_profile, mfa_serial and
region, so awsrole shares MFA sessions and calls the regional STS endpoint;
any other profile (SSO, credential_process, keys) is used as profile = "P".
The region is --region, else the profile's, else AWS_REGION. An existing file
is never overwritten.`,
		Example: `  awsrole init --role-arn arn:aws:iam::123456789012:role/deploy --region eu-west-1
  awsrole init --profile prod-admin`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			switch {
			case profile != "" && roleARN != "":
				return usageError{errors.New("give --profile or --role-arn, not both")}
			case profile == "" && roleARN == "":
				return usageError{errors.New("init needs --role-arn ARN, or --profile P (a profile in ~/.aws/config)")}
			}
			env := environ()
			var content string
			if roleARN != "" {
				if region == "" {
					region = firstNonEmpty(env["AWS_REGION"], env["AWS_DEFAULT_REGION"])
				}
				content = renderInit(initFields{RoleARN: roleARN, Region: region})
			} else {
				f, err := fieldsFromProfile(env, profile)
				if err != nil {
					return err
				}
				if region != "" {
					f.Region = region
				}
				if f.Region == "" {
					f.Region = firstNonEmpty(env["AWS_REGION"], env["AWS_DEFAULT_REGION"])
				}
				content = renderInit(f)
			}
			path := filepath.Join(dirArg(dir), config.FileName)
			if _, err := config.Parse(path, []byte(content)); err != nil {
				return fmt.Errorf("the file would be invalid, nothing written: %w", err)
			}
			if err := writeNew(path, content); err != nil {
				return err
			}
			say(c, "wrote %s", path)
			f, err := config.Load(path)
			if err != nil {
				return err
			}
			return allowFile(c, f)
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "", "copy this profile of ~/.aws/config")
	cmd.Flags().StringVar(&roleARN, "role-arn", "", "the role to assume")
	cmd.Flags().StringVar(&region, "region", "", "the region to export and to call STS in")
	cmd.Flags().StringVar(&dir, "dir", "", "where to write the file (default: the working directory)")
	cmd.RegisterFlagCompletionFunc("profile", completeProfiles)
	return cmd
}

type initFields struct {
	RoleARN, Profile, SourceProfile, MFASerial, ExternalID, Region, Duration, SessionName string
}

// fieldsFromProfile reads profile name of the AWS config (or credentials) file.
func fieldsFromProfile(env map[string]string, name string) (initFields, error) {
	cfgFile, credsFile := awsFiles(env)
	cfg, err := doctor.ReadProfiles(cfgFile, false)
	if err != nil {
		return initFields{}, err
	}
	p, ok := cfg[name]
	if !ok {
		creds, err := doctor.ReadProfiles(credsFile, true)
		if err != nil {
			return initFields{}, err
		}
		if !creds.Has(name) {
			return initFields{}, fmt.Errorf("no profile %s in %s or %s", name, cfgFile, credsFile)
		}
		return initFields{Profile: name}, nil
	}
	// Only a plain role profile is copied: credential_source, web identity,
	// SSO and credential_process are the SDK's to resolve.
	if p["role_arn"] == "" || p["source_profile"] == "" || p["credential_source"] != "" || p["web_identity_token_file"] != "" {
		return initFields{Profile: name, Region: p["region"]}, nil
	}
	f := initFields{RoleARN: p["role_arn"], SourceProfile: p["source_profile"], MFASerial: p["mfa_serial"],
		ExternalID: p["external_id"], Region: p["region"], SessionName: p["role_session_name"]}
	if s, err := strconv.Atoi(p["duration_seconds"]); err == nil && s > 0 {
		f.Duration = strconv.Itoa(s) + "s"
	}
	return f, nil
}

func renderInit(f initFields) string {
	var b strings.Builder
	b.WriteString("# .awsrole.toml: the AWS role for this directory and everything below it.\n")
	b.WriteString("# A shell with the awsrole hook assumes it on entering; any change to this\n")
	b.WriteString("# file must be trusted again with 'awsrole allow' ('awsrole edit' does that).\n\n")
	kv := func(on bool, key, value, comment string) {
		line := fmt.Sprintf("%-14s = %s", key, strconv.Quote(value))
		if !on {
			line = "# " + line
		}
		if comment != "" {
			line = fmt.Sprintf("%-44s # %s", line, comment)
		}
		b.WriteString(line + "\n")
	}
	if f.Profile != "" {
		kv(true, "profile", f.Profile, "a profile of ~/.aws/config, resolved by the AWS SDK")
	} else {
		kv(true, "role_arn", f.RoleARN, "the role to assume")
		kv(f.SourceProfile != "", "source_profile", firstNonEmpty(f.SourceProfile, "default"), "base credentials; default chain if absent")
		kv(f.MFASerial != "", "mfa_serial", firstNonEmpty(f.MFASerial, "arn:aws:iam::111111111111:mfa/alice"), "asked once per MFA session")
	}
	kv(f.Region != "", "region", firstNonEmpty(f.Region, "us-east-1"), "exported as AWS_REGION, AWS_DEFAULT_REGION")
	b.WriteString("# sts_region     = \"…\"                      # where STS is called; defaults to region\n")
	kv(f.Duration != "", "duration", firstNonEmpty(f.Duration, "1h"), "a Go duration or seconds")
	if f.Profile == "" {
		kv(f.SessionName != "", "session_name", firstNonEmpty(f.SessionName, "alice-infra"), "default: user and directory name")
		kv(f.ExternalID != "", "external_id", firstNonEmpty(f.ExternalID, "…"), "if the role's trust policy asks for one")
	}
	return b.String()
}

// writeNew creates path with content; it never replaces anything there.
func writeNew(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; change it with 'awsrole edit'", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
