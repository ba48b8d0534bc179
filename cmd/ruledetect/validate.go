package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/go-json-experiment/json"
	"github.com/ruledetect/ruledetect/behavior"
)

func init() {
	commands["validate"] = command{summary: "validate a security profile or behaviors as the service would", run: runValidate}
}

const validateUsage = `usage: ruledetect validate [FILE|-]

Validates FILE (standard input when FILE is - or absent) as
ValidateSecurityProfileBehaviors and CreateSecurityProfile would. FILE is
JSON or YAML (JSON when it starts with { or [): a behaviors array,
{"behaviors":[...]}, one behavior, a CreateSecurityProfile or
UpdateSecurityProfile request, the DescribeSecurityProfile output (aws iot
describe-security-profile), or CloudFormation: a template (every
AWS::IoT::SecurityProfile in it), one resource or its Properties. These
are the forms replay --profile takes.

Prints one line, {"valid":...,"validationErrors":[{"errorMessage":...}]},
listing every problem. A member the document's shape does not have
(a misspelt key) or a value of the wrong JSON type is reported there too,
as a validation error naming its path, line and column.

Exit status: 0 valid, 1 invalid, 2 unreadable, not JSON or not YAML (the
error, with its line and column, goes to standard error) or a usage error.
`

func runValidate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate")
	if code, ok := parseFlags(fs, args, validateUsage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 1 {
		return usageError(stderr, "validate", "at most one FILE")
	}
	name := fs.Arg(0)
	data, err := readInput(name, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "ruledetect validate: %v\n", err)
		return 2
	}
	result, err := validateDocument(data)
	if err != nil {
		fmt.Fprintf(stderr, "ruledetect validate: %s: %v\n", displayName(name), err)
		return 2
	}
	out, err := json.Marshal(result)
	if err != nil {
		fmt.Fprintf(stderr, "ruledetect validate: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "%s\n", out)
	if !result.Valid {
		return 1
	}
	return 0
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "" || name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

func displayName(name string) string {
	if name == "" || name == "-" {
		return "standard input"
	}
	return name
}

// validateDocument parses (see parseProfileDocument) and validates data.
// Only malformed JSON or YAML is an error; a document of the wrong shape is
// an invalid result.
func validateDocument(data []byte) (behavior.ValidationResult, error) {
	d, err := parseProfileDocument(data)
	if err != nil && (errors.Is(err, behavior.ErrMalformedJSON) || !errors.Is(err, behavior.ErrMalformed)) {
		return behavior.ValidationResult{}, err
	}
	if err != nil {
		return behavior.ValidationResult{ValidationErrors: []behavior.ValidationError{{ErrorMessage: err.Error()}}}, nil
	}
	return d.Validate(behavior.ValidateOptions{}), nil
}
