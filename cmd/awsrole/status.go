package main

import (
	"fmt"
	"os"
	"time"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/state"
	"github.com/awsrole/awsrole/hook/trust"
	"github.com/spf13/cobra"
)

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
