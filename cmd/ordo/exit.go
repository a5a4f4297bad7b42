package main

import "errors"

// exitError carries a process exit code other than 1 (for example 2 for usage).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) ExitCode() int { return e.code }

func asExit(err error, target *interface{ ExitCode() int }) bool {
	var ee *exitError
	if errors.As(err, &ee) {
		*target = ee
		return true
	}
	return false
}
