// Package testfile reads the test files of `ruledetect test`: YAML (or
// JSON, which is YAML) documents naming security profiles, dimensions,
// custom metrics and thing groups, and test cases with inputs (a JSON Lines
// file and promtool-like input series) and the violation events and active
// violations they must produce. Every error names the file, line and
// column at fault.
//
// A file:
//
//	profiles: [profile.json]          # files relative to the test file, or inline documents, in
//	                                  # any form replay --profile reads (a create request, behaviors,
//	                                  # describe output, CloudFormation)
//	dimensions: [dimension-x.json]    # optional, likewise
//	custom_metrics: [metric.json]     # optional, likewise
//	thing_groups: {cam-1: [cams]}     # optional: registered things and their groups
//	targets: [all/things]             # optional: where the profiles are attached
//	period: 300                       # optional: evaluation period in seconds
//	cumulative_network_stats: false   # optional
//	start: 2026-01-01T00:00:00Z       # optional: where series start; relative times count from it
//	tests:
//	  - name: three in a row alarm
//	    input: input.jsonl            # optional: `ruledetect replay` records
//	    input_series:                 # optional: one value per period
//	      "cam-1 message-sent dt/cam-1/t": "3 1 3 3 3 0 4 1 2"
//	    skip_bad: false               # optional: skip bad records and rejected inputs
//	    until: 45m                    # optional: advance to this time at the end
//	    expected_events:
//	      - {time: 25m, type: in-alarm, thing: cam-1, behavior: messages-sent, value: {count: 3}}
//	    expected_active:
//	      - at: 30m
//	        violations: [{thing: cam-1, behavior: messages-sent, since: 25m}]
//
// Times are RFC 3339, Unix seconds, or a Go duration ("25m", "1h5m10s")
// after start.
package testfile
