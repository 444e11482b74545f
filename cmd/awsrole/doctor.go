package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/doctor"
	"github.com/spf13/cobra"
)

func doctorCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Find why AWS credentials fail here, one line per problem with its fix",
		Long: `Read the environment, ~/.aws/config, ~/.aws/credentials and the .awsrole.toml
here, and explain each problem found in one line with its fix: a stale
AWS_SECURITY_TOKEN, a temporary key without its token, expired credentials,
keys that shadow AWS_PROFILE, a profile that does not exist, global STS
tokens for an opt-in region, a file that is blocked or invalid, and (run at
an interactive prompt) a shell that does not run the hook. Each line is
"CHECK: problem; fix: what to do". The exit status is 1 when it found a problem.`,
		Example: "  awsrole doctor\n  awsrole doctor || echo 'see above'",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			env := environ()
			p := hook.DefaultPaths()
			in := doctor.Input{Env: env, Now: time.Now(), TrustDir: p.Data}
			in.ConfigFile, in.CredentialsFile = awsFiles(env)
			var err error
			if in.Config, err = doctor.ReadProfiles(in.ConfigFile, false); err != nil {
				return fmt.Errorf("cannot read %s: %w", in.ConfigFile, err)
			}
			if in.Credentials, err = doctor.ReadProfiles(in.CredentialsFile, true); err != nil {
				return fmt.Errorf("cannot read %s: %w", in.CredentialsFile, err)
			}
			in.User, in.UserErr = config.LoadUser(p.UserConfig())
			if in.Here, err = config.Find(workDir()); err != nil {
				return err
			}
			// Whether the hook runs only means something to a shell at a
			// terminal; from a script or CI it is not checked.
			if term.IsTerminal(int(os.Stdin.Fd())) {
				in.Shell = &doctor.Shell{PID: os.Getppid(), Name: processName(os.Getppid())}
			}
			found := doctor.Check(in)
			for _, f := range found {
				fmt.Fprintln(c.OutOrStdout(), oneLine(f.String()))
			}
			switch len(found) {
			case 0:
				say(c, "doctor found no problems")
				return nil
			case 1:
				say(c, "doctor found 1 problem")
			default:
				say(c, "doctor found %d problems", len(found))
			}
			return exitStatus(1)
		},
	}
}

// processName is the command name of pid ("bash"), "" when unknown.
func processName(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.TrimSpace(string(b)), "-")
}
