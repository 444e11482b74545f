package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/awsrole/awsrole/hook/doctor"
	"github.com/spf13/cobra"
)

func completionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print the shell completion script",
		Long: `Print the completion script for bash, zsh or fish. It completes commands,
flags, shells, formats, directories and the profiles of ~/.aws/config.`,
		Example: `  source <(awsrole completion bash)                          # ~/.bashrc
  source <(awsrole completion zsh)                           # ~/.zshrc, after compinit
  awsrole completion fish > ~/.config/fish/completions/awsrole.fish`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish"},
		RunE: func(c *cobra.Command, args []string) error {
			root, out := c.Root(), c.OutOrStdout()
			switch args[0] {
			case "bash":
				if err := root.GenBashCompletionV2(out, true); err != nil {
					return err
				}
				_, err := io.WriteString(out, bashWithoutBashCompletion)
				return err
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			}
			return usageError{fmt.Errorf("unsupported shell %q (supported: bash, zsh, fish)", args[0])}
		},
	}
}

// bashWithoutBashCompletion replaces cobra's word splitter, which needs the
// bash-completion package, by one that falls back to the words as bash split
// them, so completion works on a minimal system too.
const bashWithoutBashCompletion = `
# awsrole: without the bash-completion package, use the words as bash split them.
__awsrole_init_completion() {
    COMPREPLY=()
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        _get_comp_words_by_ref "$@" cur prev words cword
        return
    fi
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
}
`

// completeProfiles completes the profile names of ~/.aws/config.
func completeProfiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	cfg, creds := awsFiles(environ())
	var names []string
	for _, f := range []struct {
		path  string
		creds bool
	}{{cfg, false}, {creds, true}} {
		p, _ := doctor.ReadProfiles(f.path, f.creds)
		for n := range p {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names, cobra.ShellCompDirectiveNoFileComp
}

// addCompletions completes flag values across the commands: formats,
// directories, profiles.
func addCompletions(root *cobra.Command) {
	for _, c := range root.Commands() {
		if f := c.Flags().Lookup("dir"); f != nil {
			c.MarkFlagDirname("dir")
		}
		if f := c.Flags().Lookup("format"); f != nil && c.Name() == "export" {
			c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"json", "env", "dotenv"}, cobra.ShellCompDirectiveNoFileComp))
		}
	}
}
