package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/state"
	"github.com/awsrole/awsrole/hook/watch"
	"github.com/awsrole/awsrole/shells"
	"github.com/spf13/cobra"
)

func exportCmd() *cobra.Command {
	var atPrompt, quick bool
	var format, dir string
	cmd := &cobra.Command{
		Use:   "export bash|zsh|fish | export --format json|env|dotenv [--dir D]",
		Short: "Print the directory's role as shell code (the prompt hook runs this) or for other tools",
		Long: `With a shell name, print the shell code that applies the directory's role, for
the shell to eval; messages go to stderr. The prompt hook runs
'awsrole export --prompt SHELL': only then may awsrole ask for an MFA code on
the terminal. Run by hand, in a subshell or a script, it never asks: it says to
run 'awsrole login'.

With --format, print the variables of the environment contract for another
tool: json (an object; null means unset), env (NAME=value lines of the set
variables) or dotenv (NAME="value", for .env files). It fails, with nothing on
stdout, when the credentials cannot be had.`,
		Example: `  eval "$(awsrole export bash)"
  awsrole export --format json --dir ~/src/infra
  awsrole export --format dotenv > .env`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: shells.Names(),
		RunE: func(c *cobra.Command, args []string) error {
			ctx, stop := interrupted()
			defer stop()
			e := hook.NewEngine(hook.DefaultPaths())
			if format != "" {
				if len(args) > 0 {
					return usageError{fmt.Errorf("give a shell or --format, not both")}
				}
				return exportFormat(ctx, c, e, format, dir)
			}
			if len(args) == 0 {
				return usageError{fmt.Errorf("export needs a shell (%s) or --format", strings.Join(shells.Names(), ", "))}
			}
			sh, err := shellArg(c, args)
			if err != nil {
				return err
			}
			e.Prompt = e.MFAPrompt(atPrompt)
			e.Quick = quick
			res := e.Export(ctx, environ(), workDir())
			if res.WouldWait {
				return exitStatus(wouldWaitStatus)
			}
			code, err := sh.Export(res.Changes)
			if err != nil {
				return err
			}
			for _, m := range res.Messages {
				say(c, "%s", m)
			}
			fmt.Fprint(c.OutOrStdout(), code)
			if atPrompt {
				// After the answer: the shell waits for this process to exit,
				// not for the watcher, whose output goes to its own log.
				watch.Note(e.Paths, res)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&atPrompt, "prompt", false, "called by the prompt hook of an interactive shell: may ask for an MFA code")
	cmd.Flags().BoolVar(&quick, "quick", false, "answer only from the cache; exit with status 3, printing nothing, where STS would be called")
	cmd.Flags().MarkHidden("quick") // between the bash hook and the binary
	cmd.Flags().StringVar(&format, "format", "", "json, env or dotenv instead of shell code")
	cmd.Flags().StringVar(&dir, "dir", "", "the directory whose role to use (default: the working directory)")
	return cmd
}

// wouldWaitStatus is the exit status of 'export --quick' when it stopped
// before calling STS; the bash hook then runs export again, with Ctrl-C
// kept from the shell.
const wouldWaitStatus = 3

// exportFormat prints the contract of dir's role for other tools.
func exportFormat(ctx context.Context, c *cobra.Command, e *hook.Engine, format, dir string) error {
	switch format {
	case "json", "env", "dotenv":
	default:
		return usageError{fmt.Errorf("unknown format %q (json, env or dotenv)", format)}
	}
	e.Prompt = e.MFAPrompt(false)
	r, err := e.Resolve(ctx, environ(), dirArg(dir))
	if err != nil {
		return err
	}
	vars := r.Vars
	vars[hook.RoleVar] = &r.Role
	var b strings.Builder
	switch format {
	case "json":
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(vars); err != nil {
			return err
		}
	default:
		for _, n := range slices.Sorted(maps.Keys(vars)) {
			v := vars[n]
			switch {
			case v == nil:
			case strings.ContainsAny(*v, "\n\x00"):
				return fmt.Errorf("%s holds a newline, which the %s format cannot carry", n, format)
			case format == "env":
				fmt.Fprintf(&b, "%s=%s\n", n, *v)
			default:
				fmt.Fprintf(&b, "%s=%s\n", n, strconv.Quote(*v))
			}
		}
	}
	fmt.Fprint(c.OutOrStdout(), b.String())
	return nil
}

// dirArg is --dir as an absolute path, or the working directory.
func dirArg(dir string) string {
	if dir == "" {
		return workDir()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	return abs
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
