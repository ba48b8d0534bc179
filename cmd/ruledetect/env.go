package main

import (
	"flag"
	"fmt"
	"strings"
)

// envName is the environment variable that sets flag name of a command
// run as a service: RULEDETECT_ and the flag's name in upper case with
// dashes as underscores (--tls-cert: RULEDETECT_TLS_CERT).
func envName(flagName string) string {
	return "RULEDETECT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets each flag of fs that the command line did not set from its
// environment variable (see envName), so that the command line wins. A
// repeatable flag takes a comma-separated list. lookup is os.LookupEnv
// outside tests. The error names the variable.
func applyEnv(fs *flag.FlagSet, repeatable map[string]bool, lookup func(string) (string, bool)) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || set[f.Name] {
			return
		}
		v, ok := lookup(envName(f.Name))
		if !ok || v == "" {
			return
		}
		vals := []string{v}
		if repeatable[f.Name] {
			vals = strings.Split(v, ",")
		}
		for _, one := range vals {
			if e := fs.Set(f.Name, strings.TrimSpace(one)); e != nil {
				err = fmt.Errorf("%s: %v", envName(f.Name), e)
				return
			}
		}
	})
	return err
}
