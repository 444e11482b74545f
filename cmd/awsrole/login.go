package main

import (
	"fmt"

	"github.com/awsrole/awsrole/hook"
	"github.com/spf13/cobra"
)

func loginCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "login [PATH]",
		Short:   "Get (asking for an MFA code if needed) and cache the credentials for a directory now",
		Example: "  awsrole login\n  awsrole login ~/src/infra",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			path, err := configPath(args)
			if err != nil {
				return err
			}
			ctx, stop := interrupted()
			defer stop()
			p := hook.DefaultPaths()
			e := hook.NewEngine(p)
			e.Prompt = e.MFAPrompt(true)
			role, exp, err := e.Login(ctx, environ(), path)
			if err != nil {
				return err
			}
			bump(c, p)
			if exp.IsZero() {
				say(c, "logged in as %s", role)
			} else {
				say(c, "logged in as %s until %s", role, exp.Local().Format("15:04 MST"))
			}
			return nil
		},
	}
}

func logoutCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "logout [--all | PATH]",
		Short: "Forget cached credentials and MFA sessions",
		Long: `Forget the cached credentials (and the MFA session behind them) of the nearest
.awsrole.toml, or of PATH, or with --all of everything. Shells keep what they
have already exported until it expires; the next fetch asks for a code again.`,
		Example: "  awsrole logout\n  awsrole logout --all",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e := hook.NewEngine(hook.DefaultPaths())
			if all {
				if len(args) > 0 {
					return usageError{fmt.Errorf("--all takes no PATH")}
				}
				if err := e.Source.Cache.Clear(); err != nil {
					return err
				}
				say(c, "forgot all cached credentials and MFA sessions")
				return nil
			}
			path, err := configPath(args)
			if err != nil {
				return err
			}
			if err := e.Logout(environ(), path); err != nil {
				return err
			}
			say(c, "forgot the cached credentials of %s", path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "forget every cached credential and MFA session")
	return cmd
}
