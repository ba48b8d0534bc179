package behavior

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Failure 6 of issue 9: decoding and validation errors echoed a 1 MB key or
// value whole, with its raw newlines and terminal escapes.
func TestErrorsEchoLongInputQuotedAndCut(t *testing.T) {
	evil := `x\n\u001b[31m\u202e` + strings.Repeat("k", 1<<20)
	behaviorWith := func(metric, op, value string) string {
		return `{"securityProfileName":"p","behaviors":[{"name":"a","metric":"` + metric + `","criteria":{"comparisonOperator":"` + op + `","value":` + value + `}}]}`
	}
	for name, doc := range map[string]string{
		"unknown field":       `{"securityProfileName":"p","` + evil + `":1}`,
		"unknown plain field": `{"securityProfileName":"p","` + strings.Repeat("k", 1<<20) + `":1}`,
		"profile name":        `{"securityProfileName":"` + evil + `","behaviors":[]}`,
		"behavior name":       `{"securityProfileName":"p","behaviors":[{"name":"` + evil[:100] + `","metric":"aws:num-disconnects"}]}`,
		"metric":              behaviorWith(evil, "less-than", `{"count":1}`),
		"aws metric":          behaviorWith("aws:"+evil, "less-than", `{"count":1}`),
		"operator":            behaviorWith("aws:num-disconnects", evil, `{"count":1}`),
		"wrong type":          behaviorWith("aws:num-disconnects", "less-than", `{"count":"`+evil+`"}`),
		"cidr":                behaviorWith("aws:source-ip-address", "in-cidr-set", `{"cidrs":["`+evil+`"]}`),
	} {
		t.Run(name, func(t *testing.T) {
			var msgs []string
			sp, err := ParseSecurityProfile([]byte(doc))
			if err != nil {
				msgs = append(msgs, err.Error())
			} else {
				for _, e := range sp.Validate(ValidateOptions{}).ValidationErrors {
					msgs = append(msgs, e.ErrorMessage)
				}
			}
			assert.NotEmpty(t, msgs)
			for _, msg := range msgs {
				assert.Less(t, len(msg), 600, msg)
				for _, bad := range []string{"\n", "\x1b", "\u202e"} {
					assert.NotContains(t, msg, bad)
				}
			}
		})
	}
}
