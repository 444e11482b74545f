// Package stshelper is the program cmd/awsrole-sts: the helper process in
// which awsrole calls STS with the AWS SDK (see hook/creds/helper). It is a
// package rather than only a main so that tests can run it as a command.
package stshelper

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/cache"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/creds"
	"github.com/awsrole/awsrole/hook/creds/helper"
	"github.com/awsrole/awsrole/hook/creds/sts"
)

// Main answers the request on stdin and returns the exit status.
func Main() int {
	// Ctrl-C at the terminal reaches this process too (awsrole's process
	// group): it cancels what is under way and answers "cancelled".
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := helper.Serve(ctx, os.Stdin, os.Stdout,
		func(c cache.Cache) creds.Fetcher { return sts.Fetcher{Cache: c} },
		func(mfaProcess string) creds.MFAPrompt {
			// The same prompt as awsrole's own: mfa_process when the user
			// set one, else the terminal if this process is in its foreground.
			e := &hook.Engine{User: &config.User{MFAProcess: mfaProcess}}
			return e.MFAPrompt(true)
		})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", helper.Name, err)
		return 1
	}
	return 0
}
