package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"

	"github.com/awsrole/awsrole/hook/config"
	"github.com/spf13/cobra"
)

// editAttempts bounds the reopen loop for an editor that keeps saving
// invalid files without a person behind it.
const editAttempts = 10

func editCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "edit [PATH]",
		Short: "Edit the nearest .awsrole.toml in $VISUAL or $EDITOR, check it, and allow it",
		Long: `Open the nearest .awsrole.toml (or PATH) in $VISUAL, else $EDITOR, else vi.
When the editor exits the file is checked: if it is invalid the error is shown
and the editor opens again; quit without changing anything to give up (the
file then stays blocked until it is fixed and allowed). A valid file is
allowed, so every shell picks it up at its next prompt.`,
		Example: "  awsrole edit\n  EDITOR=nano awsrole edit ~/src/infra",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			path, err := configPath(args)
			if err != nil {
				return err
			}
			if _, err := os.Lstat(path); err != nil {
				return fmt.Errorf("no %s to edit (%v); create one with 'awsrole init'", path, err)
			}
			editor := firstNonEmpty(os.Getenv("VISUAL"), os.Getenv("EDITOR"), "vi")
			for attempt := 1; ; attempt++ {
				before, _ := os.ReadFile(path)
				if err := runEditor(editor, path); err != nil {
					return fmt.Errorf("the editor failed (%v); %s is not allowed until it is checked: run 'awsrole edit' again", err, path)
				}
				f, err := config.Load(path)
				if err == nil {
					return allowFile(c, f)
				}
				if after, _ := os.ReadFile(path); bytes.Equal(after, before) || attempt == editAttempts {
					return fmt.Errorf("%s; left as it is and not allowed", oneLine(err.Error()))
				}
				say(c, "%s; reopening the editor (quit without saving to give up)", oneLine(err.Error()))
			}
		},
	}
}

// runEditor runs the user's editor command, which may carry arguments
// ("code --wait"), through the shell as git does, on the terminal.
func runEditor(editor, path string) error {
	cmd := exec.Command("/bin/sh", "-c", editor+` "$1"`, editor, path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}
