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
//
// The peers, by benchmark:
//
//   - BenchmarkCIDR (warm: 256 probes cycled) and BenchmarkCIDRCold (a
//     1,000,000-prefix table, 65,536 random probes, B/table its heap):
//     gaissmai/bart's Fast and Lite tables, tailscale's ART
//     (tailscale.com/net/art, warm only), yl2chen/cidranger (warm only),
//     go4.org/netipx's IPSet. kentik/patricia is not served by the module
//     proxy this project uses.
//   - BenchmarkTopicMatch and BenchmarkTopicMatchCold (200,000 filters,
//     65,536 random topics): mochi-mqtt's topic index, paho's router (warm
//     only: it scans every filter).
//   - BenchmarkProfileEval: a whole 10-behavior profile in expr-lang/expr and
//     in CEL (cel.dev/cel-go, formerly github.com/google/cel-go).
//   - BenchmarkSketch*: DataDog's DDSketch, HdrHistogram, t-digest and the
//     OpenTelemetry base-2 exponential histogram (lightstep/go-expohisto, the
//     standalone form of the SDK's internal aggregator) at 160 and 2,048
//     buckets; TestSketchAccuracyTable -v prints every one's relative error.
//
// The cold benchmarks build their tables once per process (seconds each)
// and take about 1 GB; TestCIDRColdProbes and TestTopicColdProbes check
// their inputs and are skipped with -short.
package peers
