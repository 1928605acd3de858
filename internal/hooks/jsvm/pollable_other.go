//go:build !unix

package jsvm

// pollable is the identity where pipes cannot be made non-blocking
// through the poller: the worker then reads in a blocking call.
func pollable(v any) any { return v }
