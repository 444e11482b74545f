package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/awsrole/awsrole/shells"
	"github.com/spf13/cobra"
)

func shellArg(c *cobra.Command, args []string) (shells.Shell, error) {
	sh, err := shells.Lookup(args[0])
	if err != nil {
		return nil, usageError{err}
	}
	return sh, nil
}

func hookCmd() *cobra.Command {
	return &cobra.Command{
		Use:       "hook bash|zsh|fish",
		Short:     "Print the shell integration to install in your rc file",
		Example:   "  eval \"$(awsrole hook bash)\"\n  awsrole hook fish | source",
		Args:      cobra.ExactArgs(1),
		ValidArgs: shells.Names(),
		RunE: func(c *cobra.Command, args []string) error {
			sh, err := shellArg(c, args)
			if err != nil {
				return err
			}
			bin, err := os.Executable()
			if err != nil {
				return fmt.Errorf("cannot find the awsrole binary: %w", err)
			}
			if bin, err = filepath.EvalSymlinks(bin); err != nil {
				return fmt.Errorf("cannot find the awsrole binary: %w", err)
			}
			script, err := sh.Hook(shells.HookOptions{Bin: bin})
			if err != nil {
				return err
			}
			fmt.Fprint(c.OutOrStdout(), script)
			return nil
		},
	}
}
