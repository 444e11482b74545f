package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// errSilent is returned by a command that already said what went wrong.
var errSilent = errors.New("")

// usageError marks a wrong invocation (exit status 2).
type usageError struct{ error }

// run is the one place that prints "awsrole: error: …" and picks the exit
// status: 0 done, 1 failed, 2 used wrongly.
func run(args []string) int {
	root := newRoot(os.Stdout, os.Stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	if err != errSilent {
		fmt.Fprintf(os.Stderr, "awsrole: error: %s\n", oneLine(err.Error()))
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
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       version,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		hookCmd(), exportCmd(), allowCmd(), denyCmd(), statusCmd(), loginCmd(), logoutCmd(),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			Run:   func(c *cobra.Command, _ []string) { fmt.Fprintln(c.OutOrStdout(), "awsrole", version) },
		},
	)
	return root
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// say prints one human message on stderr.
func say(c *cobra.Command, format string, args ...any) {
	fmt.Fprintf(c.ErrOrStderr(), "awsrole: "+format+"\n", args...)
}
