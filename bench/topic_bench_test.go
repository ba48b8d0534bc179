package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ruledetect/ruledetect/dimension"
)

// The topic benchmarks of matching.md §3, for the ruledetect matcher alone;
// bench/peers/topic_test.go runs the same cases side by side with mochi and
// paho.
//
//	go test -run '^$' -bench BenchmarkTopic -benchmem -count=5 ./bench

// topicQuery is the topic every case looks up; topicClientID is the client id
// it is published by.
const (
	topicQuery    = "factory/line3/device42/telemetry"
	topicClientID = "device42"
)

var topicKinds = []string{"telemetry", "status", "events", "config", "alerts", "shadow"}

// genTopicFilters is the filter generator of matching.md §3 (the same as in
// bench/peers; the modules share no test code): n filters, none matching
// topicQuery from topicClientID, in the proportions 50% exact
// factory/lineX/deviceY/kind, 10% factory/+/deviceY/kind, 15%
// factory/lineX/+/kind, 10% factory/lineX/deviceY/#, 5% siteN/#, 5%
// +/lineX/+/kind, 5% $SYS/broker/kind/+. With variable, the
// factory/lineX/deviceY/# filters become factory/lineX/${iot:ClientId}/#, the
// shape AWS's documentation uses.
func genTopicFilters(n int, variable bool) []string {
	rng := rand.New(rand.NewPCG(uint64(n), 0x70c1c))
	out := make([]string, 0, n)
	for len(out) < n {
		line := fmt.Sprintf("line%d", rng.IntN(20))
		dev := fmt.Sprintf("device%d", rng.IntN(1000))
		kind := topicKinds[rng.IntN(len(topicKinds))]
		var f string
		switch r := rng.IntN(100); {
		case r < 50:
			f = "factory/" + line + "/" + dev + "/" + kind
		case r < 60:
			f = "factory/+/" + dev + "/" + kind
		case r < 75:
			f = "factory/" + line + "/+/" + kind
		case r < 85 && variable:
			f = "factory/" + line + "/" + dimension.ClientIDVariable + "/#"
		case r < 85:
			f = "factory/" + line + "/" + dev + "/#"
		case r < 90:
			f = fmt.Sprintf("site%d/#", rng.IntN(100))
		case r < 95:
			f = "+/" + line + "/+/" + kind
		default:
			f = "$SYS/broker/" + kind + "/+"
		}
		if refTopicMatch(f, topicQuery, topicClientID) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// refTopicMatch is MQTT 3.1.1 §4.7 matching of one filter, written plainly.
func refTopicMatch(filter, topic, clientID string) bool {
	fl, tl := strings.Split(filter, "/"), strings.Split(topic, "/")
	if topic[0] == '$' && (fl[0] == "+" || fl[0] == "#") {
		return false
	}
	for i, f := range fl {
		if f == "#" {
			return true
		}
		if i >= len(tl) || f != "+" && strings.ReplaceAll(f, dimension.ClientIDVariable, clientID) != tl[i] {
			return false
		}
	}
	return len(fl) == len(tl)
}

// BenchmarkTopicMatch measures Matcher.Match of topicQuery against n
// generated filters. hit appends a matching filter last; miss has none.
// set=clientid puts ${iot:ClientId} in 10% of the filters and in the hit
// filter.
func BenchmarkTopicMatch(b *testing.B) {
	for _, n := range []int{10, 100, 10000} {
		for _, hit := range []bool{true, false} {
			for _, variable := range []bool{false, true} {
				var filters []string
				if hit {
					last := "factory/+/device42/#"
					if variable {
						last = "factory/+/" + dimension.ClientIDVariable + "/#"
					}
					filters = append(genTopicFilters(n-1, variable), last)
				} else {
					filters = genTopicFilters(n, variable)
				}
				name := fmt.Sprintf("n=%d/case=%s/set=%s", n,
					map[bool]string{true: "hit", false: "miss"}[hit],
					map[bool]string{false: "generated", true: "clientid"}[variable])
				b.Run(name, func(b *testing.B) {
					m, err := dimension.Compile(filters)
					if err != nil {
						b.Fatal(err)
					}
					if m.Match(topicQuery, topicClientID) != hit {
						b.Fatal("wrong answer")
					}
					b.ReportAllocs()
					for b.Loop() {
						if m.Match(topicQuery, topicClientID) != hit {
							b.Fatal("wrong answer")
						}
					}
				})
			}
		}
	}
}

// BenchmarkTopicCompile measures Compile of the generated sets: control-plane
// work, done once per dimension change.
func BenchmarkTopicCompile(b *testing.B) {
	for _, n := range []int{10, 100, 10000} {
		filters := genTopicFilters(n, false)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dimension.Compile(filters); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
