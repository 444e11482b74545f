package creds

import "context"

// TimeoutError is a deadline that passed after at least one attempt had
// failed. The SDK reports only "request canceled" then; the last attempt's
// error (connection refused, a 5xx) says what is wrong, so it is kept.
type TimeoutError struct{ Last string }

func (e TimeoutError) Error() string { return "timed out; the last attempt: " + e.Last }

// Unwrap makes errors.Is(err, context.DeadlineExceeded) hold.
func (e TimeoutError) Unwrap() error { return context.DeadlineExceeded }
