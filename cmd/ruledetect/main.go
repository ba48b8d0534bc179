// Command ruledetect evaluates AWS IoT Device Defender Rules Detect
// security profiles offline. Subcommands:
//
//	ruledetect validate [FILE|-]   validate a profile or behaviors as the service would
//	ruledetect replay --profile FILE... [--dimension FILE...] [--custom-metric FILE...]
//	                  [--thing-groups FILE] [--until TIME] [--skip-bad]
//	                  [--cumulative-network-stats] [--period SECONDS] [--report FILE.html] [INPUT|-]
//	                               replay JSON Lines of reports and cloud-side events,
//	                               streaming the violation events
//	ruledetect demo [--things N] [--hours H] [--seed S] [--json] [--emit FILE] [--report FILE.html]
//	                               replay a generated fleet with injected compromises
//	ruledetect test [--report FILE.html] FILE...
//	                               run test files: inputs and the violations they must raise
//	ruledetect serve --access-key ID:SECRET... [--listen ADDR] [--tls-cert FILE --tls-key FILE]
//	                               serve the AWS IoT Detect control-plane API
//
// A profile FILE is JSON or YAML: behaviors, a create request, the
// describe-security-profile output or CloudFormation.
//
// "ruledetect --version" prints the version. Run "ruledetect SUBCOMMAND -h"
// for a subcommand's usage.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/ruledetect/ruledetect/internal/echo"
)

// command is a subcommand: its one-line summary and what it runs. run gets
// the arguments after the subcommand's name and returns the exit code.
type command struct {
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands is the subcommand table; each subcommand's file adds itself in
// its init function.
var commands = map[string]command{}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs the subcommand args[0] and returns the process's exit code: 2
// for a usage error.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	case "-version", "--version", "version":
		fmt.Fprintf(stdout, "ruledetect %s\n", version())
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		if strings.HasPrefix(args[0], "-") {
			fmt.Fprintf(stderr, "ruledetect: unknown flag %s\n", echo.Quote(args[0]))
		} else {
			fmt.Fprintf(stderr, "ruledetect: unknown command %s\n", echo.Quote(args[0]))
		}
		usageHint(stderr, "")
		return 2
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ruledetect COMMAND [ARGS]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %s%s  %s\n", n, strings.Repeat(" ", width-len(n)), commands[n].summary)
	}
	fmt.Fprintln(w, "\nflags:\n  -h, --help   print this usage\n  --version    print ruledetect's version")
	fmt.Fprintln(w, "\nRun 'ruledetect COMMAND -h' for a command's usage.")
}
