package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/state"
	"github.com/awsrole/awsrole/hook/trust"
	"github.com/awsrole/awsrole/shells"
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
			script, err := sh.Hook(shells.HookOptions{Bin: bin, GenFile: hook.DefaultPaths().GenFile()})
			if err != nil {
				return err
			}
			fmt.Fprint(c.OutOrStdout(), script)
			return nil
		},
	}
}

// interrupted returns a context cancelled by Ctrl-C. The shell hook ignores
// SIGINT around the binary; a Go program un-ignores a signal it asks for, so
// Ctrl-C reaches us and we fail closed instead of the shell dropping our output.
func interrupted() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func exportCmd() *cobra.Command {
	var atPrompt bool
	cmd := &cobra.Command{
		Use:   "export bash|zsh|fish",
		Short: "Print the shell code that applies the directory's role (the prompt hook runs this)",
		Long: `Print the shell code that applies the directory's role, for the shell to eval;
messages go to stderr. The prompt hook runs 'awsrole export --prompt SHELL':
only then may awsrole ask for an MFA code on the terminal. Run by hand, in a
subshell or a script, it never asks: it says to run 'awsrole login'.`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: shells.Names(),
		RunE: func(c *cobra.Command, args []string) error {
			sh, err := shellArg(c, args)
			if err != nil {
				return err
			}
			ctx, stop := interrupted()
			defer stop()
			e := hook.NewEngine(hook.DefaultPaths())
			e.Prompt = e.MFAPrompt(atPrompt)
			res := e.Export(ctx, environ(), workDir())
			code, err := sh.Export(res.Changes)
			if err != nil {
				return err
			}
			for _, m := range res.Messages {
				say(c, "%s", m)
			}
			fmt.Fprint(c.OutOrStdout(), code)
			return nil
		},
	}
	cmd.Flags().BoolVar(&atPrompt, "prompt", false, "called by the prompt hook of an interactive shell: may ask for an MFA code")
	return cmd
}

// environ is the process environment as a map; the shell exported it.
func environ() state.Env {
	env := state.Env{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// workDir is the shell's logical directory ($PWD when it is this directory),
// so a project reached through a symlink is found where the user sees it.
func workDir() string {
	d, err := os.Getwd()
	if err != nil {
		return "/"
	}
	return d
}

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
			p := hook.DefaultPaths()
			if err := (trust.Store{Dir: p.Data}).Allow(f.Path, f.Content); err != nil {
				return err
			}
			bump(c, p)
			say(c, "allowed %s", f.Path)
			return nil
		},
	}
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
	if err := hook.BumpGen(p.GenFile()); err != nil {
		say(c, "warning: shells will notice only at their next cd: %v", err)
	}
}

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

func statusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the active role, its file and expiry, and whether the file here is trusted",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			out := c.OutOrStdout()
			p := hook.DefaultPaths()
			st, err := state.Decode(os.Getenv(state.Var))
			switch {
			case err != nil:
				fmt.Fprintln(out, "state:   damaged (run a new shell)")
			case st == nil:
				fmt.Fprintln(out, "role:    none")
			case st.Blocked != "":
				fmt.Fprintln(out, "role:    none (blocked)")
				fmt.Fprintln(out, "file:   ", st.File)
				fmt.Fprintln(out, "reason: ", st.Blocked)
			default:
				fmt.Fprintln(out, "role:   ", st.Role)
				fmt.Fprintln(out, "file:   ", st.File)
				if st.Region != "" {
					fmt.Fprintln(out, "region: ", st.Region)
				}
				if !st.Expires.IsZero() {
					fmt.Fprintf(out, "expires: %s (in %s)\n", st.Expires.Local().Format(time.RFC3339), time.Until(st.Expires).Round(time.Minute))
				}
			}
			here, err := config.Find(workDir())
			if err != nil || here == "" {
				fmt.Fprintln(out, "here:    no", config.FileName)
				return nil
			}
			f, err := config.Load(here)
			if err != nil {
				fmt.Fprintln(out, "here:   ", here, "(invalid:", oneLine(err.Error())+")")
				return nil
			}
			ts, err := trust.Store{Dir: p.Data}.Check(f.Path, f.Content)
			fmt.Fprintln(out, "here:   ", here, "("+trustWord(ts, err)+")")
			return nil
		},
	}
}

func trustWord(s trust.Status, err error) string {
	switch {
	case err != nil:
		return "cannot check trust: " + err.Error()
	case s == trust.Allowed:
		return "allowed"
	case s == trust.Denied:
		return "denied"
	case s == trust.Changed:
		return "changed since allowed"
	}
	return "not allowed"
}
