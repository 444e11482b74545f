package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/awsrole/awsrole/hook"
)

// interrupted returns a context cancelled by Ctrl-C. The shell hook ignores
// SIGINT around the binary; a Go program un-ignores a signal it asks for, so
// Ctrl-C reaches us and we fail closed instead of the shell dropping our output.
//
// It also starts the progress indicator (on a terminal's stderr only); the
// returned stop ends both.
func interrupted() (context.Context, context.CancelFunc) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	p := stderr.startProgress()
	ctx = hook.WithAsking(ctx, p.asking)
	return ctx, func() { p.end(); cancel() }
}
