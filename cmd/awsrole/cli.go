package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// errSilent is returned by a command that already said what went wrong.
var errSilent = errors.New("")

// usageError marks a wrong invocation (exit status 2).
type usageError struct{ error }

// exitStatus is returned by a command that already said what went wrong
// and exits with a status of its own (doctor's findings).
type exitStatus int

func (e exitStatus) Error() string { return "" }

// codedError is an error with its own exit status (exec's 126 and 127).
type codedError struct {
	error
	code int
}

// run is the one place that prints "awsrole: error: …" and picks the exit
// status: 0 done, 1 failed, 2 used wrongly.
func run(args []string) int {
	root := newRoot(os.Stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var status exitStatus
	if errors.As(err, &status) {
		return int(status)
	}
	if err != errSilent {
		fmt.Fprintf(stderr, "awsrole: error: %s\n", oneLine(err.Error()))
	}
	var coded codedError
	if errors.As(err, &coded) {
		return coded.code
	}
	var u usageError
	if errors.As(err, &u) || strings.HasPrefix(err.Error(), "unknown command") ||
		strings.HasPrefix(err.Error(), "unknown flag") || strings.Contains(err.Error(), "arg(s)") {
		return 2
	}
	return 1
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "awsrole",
		Short: "AWS credentials that follow the directory you are in",
		Long: `awsrole makes an interactive bash, zsh or fish shell assume the IAM role that
a .awsrole.toml in the current directory (or a parent) declares, and puts the
shell back exactly as it was when you leave.

Set up once, in your shell's rc file:
  eval "$(awsrole hook bash)"     # ~/.bashrc
  eval "$(awsrole hook zsh)"      # ~/.zshrc
  awsrole hook fish | source      # ~/.config/fish/config.fish`,
		Example: `  awsrole init --role-arn arn:aws:iam::123456789012:role/deploy --region eu-west-1
  awsrole status
  awsrole doctor
  awsrole exec -- terraform plan`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       version,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(
		hookCmd(), exportCmd(), allowCmd(), denyCmd(), statusCmd(), loginCmd(), logoutCmd(),
		doctorCmd(), execCmd(), credentialProcessCmd(), initCmd(), editCmd(), promptCmd(), completionCmd(), watchCmd(),
		&cobra.Command{
			Use:     "version",
			Short:   "Print the version",
			Example: "  awsrole version",
			Args:    cobra.NoArgs,
			Run:     func(c *cobra.Command, _ []string) { fmt.Fprintln(c.OutOrStdout(), "awsrole", version) },
		},
	)
	addCompletions(root)
	return root
}

// oneLine makes s safe to print as one line on a terminal: whitespace runs
// fold to one space, and what a terminal would act on or a reader could be
// misled by is escaped. Messages name paths, and a cloned repository chooses
// its directory names: a newline, an escape sequence or a bidi override in
// one must not reach the terminal raw.
func oneLine(s string) string {
	var b strings.Builder
	for _, field := range strings.Fields(s) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		for i := 0; i < len(field); {
			r, size := utf8.DecodeRuneInString(field[i:])
			switch {
			case r == utf8.RuneError && size <= 1:
				fmt.Fprintf(&b, `\x%02x`, field[i])
			case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				b.WriteString(field[i : i+size])
			}
			i += size
		}
	}
	return b.String()
}

// say prints one human message on stderr.
func say(c *cobra.Command, format string, args ...any) {
	fmt.Fprintf(c.ErrOrStderr(), "awsrole: %s\n", oneLine(fmt.Sprintf(format, args...)))
}
