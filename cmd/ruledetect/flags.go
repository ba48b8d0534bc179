package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// newFlagSet returns the flag set of subcommand name. It prints nothing by
// itself: parseFlags prints the usage, once, where it belongs, or a parse
// error in one line.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parsedFlagSet, when set (by tests), sees each flag set parseFlags parses,
// so that a test can check that the usage text names every flag.
var parsedFlagSet func(*flag.FlagSet)

// parseFlags parses a subcommand's arguments. When ok is false the command
// is over with exit code code: -h printed usage to stdout (0), or a bad
// flag printed its one line and a hint to -h to stderr (2).
func parseFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (code int, ok bool) {
	err := fs.Parse(args)
	if parsedFlagSet != nil {
		parsedFlagSet(fs)
	}
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0, false
	}
	return usageError(stderr, fs.Name(), "%v", err), false
}

// usageError reports a usage error of subcommand name in one line and a
// hint to -h, and returns the exit code, 2.
func usageError(stderr io.Writer, name, format string, a ...any) int {
	fmt.Fprintf(stderr, "ruledetect %s: "+format+"\n", append([]any{name}, a...)...)
	usageHint(stderr, name)
	return 2
}

// usageHint points to the usage of a subcommand ("" for ruledetect's own).
func usageHint(w io.Writer, name string) {
	if name == "" {
		fmt.Fprintln(w, "Run 'ruledetect -h' for usage.")
		return
	}
	fmt.Fprintf(w, "Run 'ruledetect %s -h' for usage.\n", name)
}
