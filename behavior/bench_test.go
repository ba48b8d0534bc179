package behavior

import (
	stdjson "encoding/json"
	"testing"
)

func BenchmarkLookupMetric(b *testing.B) {
	b.ReportAllocs()
	names := []string{"aws:message-byte-size", "aws:destination-ip-addresses", "batteryPercentage"}
	for i := 0; b.Loop(); i++ {
		if _, ok := LookupMetric(names[i%len(names)]); ok != (i%len(names) != 2) {
			b.Fatal("lookup")
		}
	}
}

func BenchmarkValidateBehaviors(b *testing.B) {
	d, err := ParseDocument(readTestdata(b, "devguide-scoping-create-security-profile.input.json"))
	if err != nil {
		b.Fatal(err)
	}
	bs := append(append([]Behavior(nil), d.Profile.Behaviors...), validBehavior(CustomIPAddressList.Metric("ips")))
	opts := ValidateOptions{CustomMetrics: map[string]CustomMetricType{"ips": CustomIPAddressList}}
	b.ReportAllocs()
	for b.Loop() {
		if r := ValidateBehaviors(bs, opts); !r.Valid {
			b.Fatal(r.ValidationErrors)
		}
	}
}

// BenchmarkParseSecurityProfile compares strict decoding (syntax check,
// unknown members rejected) with encoding/json's lenient decoding of the
// same document into the same type, as a floor.
func BenchmarkParseSecurityProfile(b *testing.B) {
	data := readTestdata(b, "devguide-scoping-create-security-profile.input.json")
	b.Run("impl=ruledetect", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := ParseSecurityProfile(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var sp SecurityProfile
			if err := stdjson.Unmarshal(data, &sp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
