package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/trust"
	"github.com/spf13/cobra"
)

// configPath resolves the PATH argument of allow/deny/login: a file, a
// directory, or (no argument) the nearest file above the working directory.
func configPath(args []string) (string, error) {
	if len(args) == 0 {
		p, err := config.Find(workDir())
		if err != nil {
			return "", err
		}
		if p == "" {
			return "", fmt.Errorf("no %s in %s or above; run 'awsrole allow PATH' or create one", config.FileName, workDir())
		}
		return p, nil
	}
	p, err := filepath.Abs(args[0])
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		p = filepath.Join(p, config.FileName)
	}
	return p, nil
}

func allowCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "allow [PATH]",
		Short:   "Trust a .awsrole.toml (the nearest one by default) as it is now",
		Long:    "Trust a .awsrole.toml as it is now. Any later change to the file blocks it again until it is allowed again.",
		Example: "  awsrole allow\n  awsrole allow ~/src/infra",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			path, err := configPath(args)
			if err != nil {
				return err
			}
			f, err := config.Load(path)
			if err != nil {
				return err
			}
			return allowFile(c, f)
		},
	}
}

// allowFile trusts f as it is now and tells every shell to look again.
func allowFile(c *cobra.Command, f *config.File) error {
	p := hook.DefaultPaths()
	if err := (trust.Store{Dir: p.Data}).Allow(f.Path, f.Content); err != nil {
		return err
	}
	bump(c, p)
	say(c, "allowed %s", f.Path)
	return nil
}

func denyCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "deny [PATH]",
		Short:   "Stop trusting a .awsrole.toml (the nearest one by default)",
		Example: "  awsrole deny\n  awsrole deny ~/src/untrusted",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			path, err := configPath(args)
			if err != nil {
				return err
			}
			p := hook.DefaultPaths()
			if err := (trust.Store{Dir: p.Data}).Deny(path); err != nil {
				return err
			}
			bump(c, p)
			say(c, "denied %s", path)
			return nil
		},
	}
}

// bump tells every shell to re-evaluate at its next prompt.
func bump(c *cobra.Command, p hook.Paths) {
	if err := hook.BumpGen(p); err != nil {
		say(c, "warning: shells will notice only at their next cd: %v", err)
	}
}
