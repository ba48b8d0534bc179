package main

import "runtime/debug"

// version is the module version ruledetect was built as: the tag or
// pseudo-version `go install …@version` stamps, or "devel" for a build
// from a work tree (which Go marks "(devel)") or without build information.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "devel"
	}
	return info.Main.Version
}
