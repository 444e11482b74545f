package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/watch"
	"github.com/spf13/cobra"
)

// watchCmd is the background watcher the prompt hook starts (hook/watch).
// Hidden: nobody needs to run it by hand.
func watchCmd() *cobra.Command {
	var idle time.Duration
	var refresh string
	var fromHook bool
	cmd := &cobra.Command{
		Use:    "watch [--idle D]",
		Short:  "Run the background watcher that the prompt hook starts",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			p := hook.DefaultPaths()
			if refresh != "" {
				return watch.Refresh(ctx, p, refresh, os.Stderr)
			}
			err := watch.Run(ctx, watch.Options{Paths: p, Idle: idle, Log: os.Stderr, CreateLock: !fromHook})
			if errors.Is(err, watch.ErrRunning) {
				return nil // the one that runs is the one we wanted
			}
			return err
		},
	}
	cmd.Flags().DurationVar(&idle, "idle", watch.DefaultIdle, "exit after no shell has used the watcher for this long")
	cmd.Flags().StringVar(&refresh, "refresh", "", "refresh one registration's credentials and exit (the watcher runs this)")
	cmd.Flags().BoolVar(&fromHook, "from-hook", false, "started by a prompt: create no file (watch.lock exists already)")
	cmd.Flags().MarkHidden("refresh")
	cmd.Flags().MarkHidden("from-hook")
	return cmd
}
