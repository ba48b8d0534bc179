// Package peers benchmarks ruledetect's hot paths side by side with the best
// existing Go implementations of each part of the job. It is a separate module
// so that the library's go.mod carries none of the peers.
//
// Every benchmark has sub-benchmarks named impl=NAME so that ratios are taken
// from one run on one machine:
//
//	cd bench/peers && go test -run '^$' -bench . -benchmem -count=5 | tee bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest bench.txt
//
// The JSON report decoders (goccy/go-json and bytedance/sonic into a struct,
// buger/jsonparser by callback) also report best-ns/op, the time of the
// quietest batch of decodes, which a loaded machine disturbs far less than
// ns/op.
package peers
