package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// interrupted returns a context cancelled by Ctrl-C. The shell hook ignores
// SIGINT around the binary; a Go program un-ignores a signal it asks for, so
// Ctrl-C reaches us and we fail closed instead of the shell dropping our output.
func interrupted() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
