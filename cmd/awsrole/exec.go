package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/awsrole/awsrole/hook"
	"github.com/spf13/cobra"
)

func execCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "exec [--dir D] -- CMD [ARGS…]",
		Short: "Run a command with a directory's role, for scripts and CI where no prompt hook runs",
		Long: `Get the credentials of the .awsrole.toml that governs D (the working directory
by default) and run CMD with exactly the environment the prompt hook would give
a shell there: your environment, with the role's variables set and every
competing one removed. awsrole replaces itself with CMD (execve), so signals
reach CMD directly and its exit status is the exit status. It never asks for an
MFA code unless mfa_process is set; run 'awsrole login' first. If the
credentials cannot be had, CMD does not run and the exit status is 1.`,
		Example: `  awsrole exec -- aws sts get-caller-identity
  awsrole exec --dir ~/src/infra -- terraform plan
  awsrole exec -- sh -c 'echo "$AWSROLE_ROLE"'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx, stop := interrupted()
			e := hook.NewEngine(hook.DefaultPaths())
			e.Prompt = e.MFAPrompt(false)
			r, err := e.Resolve(ctx, environ(), dirArg(dir))
			stop()
			if err != nil {
				return err
			}
			env := r.Env()
			path, err := lookPath(args[0], env["PATH"])
			if err != nil {
				// The statuses a shell uses: 127 not found, 126 not runnable.
				if errors.Is(err, fs.ErrNotExist) {
					return codedError{fmt.Errorf("cannot run %s: %w", args[0], err), 127}
				}
				return codedError{fmt.Errorf("cannot run %s: %w", args[0], err), 126}
			}
			list := make([]string, 0, len(env))
			for _, k := range slices.Sorted(maps.Keys(env)) {
				list = append(list, k+"="+env[k])
			}
			err = syscall.Exec(path, args, list)
			return codedError{fmt.Errorf("cannot run %s: %w", args[0], err), 126}
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "the directory whose role to use (default: the working directory)")
	cmd.Flags().SetInterspersed(false) // flags after CMD are CMD's
	return cmd
}

// errNotInPath is fs.ErrNotExist for a command name looked up in PATH.
var errNotInPath error = notInPath{}

type notInPath struct{}

func (notInPath) Error() string        { return "not found in PATH" }
func (notInPath) Is(target error) bool { return target == fs.ErrNotExist }

// lookPath finds name as a shell would with the child's PATH.
func lookPath(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		return name, executable(name)
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, name)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", errNotInPath
}

func executable(p string) error {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("is a directory")
	case fi.Mode()&0o111 == 0:
		return fs.ErrPermission
	}
	return nil
}
