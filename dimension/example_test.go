package dimension_test

import (
	"errors"
	"fmt"

	"github.com/ruledetect/ruledetect/dimension"
)

func ExampleCompile() {
	// The stringValues of a TOPIC_FILTER dimension.
	m, err := dimension.Compile([]string{"device/${iot:ClientId}/auth", "factory/+/telemetry/#"})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Match("device/cam-7/auth", "cam-7"))
	fmt.Println(m.Match("device/cam-8/auth", "cam-7"))
	fmt.Println(m.Match("factory/line3/telemetry", "cam-7"))
	fmt.Println(m.Match("$SYS/line3/telemetry", "cam-7"))
	// Output:
	// true
	// false
	// true
	// false
}

func ExampleMatcher_Passes() {
	op, err := dimension.ParseOperator("NOT_IN")
	if err != nil {
		panic(err)
	}
	m, err := dimension.Compile([]string{"cmd/#"})
	if err != nil {
		panic(err)
	}
	// With NOT_IN, a message counts when its topic matches none of the filters.
	fmt.Println(m.Passes(op, "cmd/reboot", "thing1"))
	fmt.Println(m.Passes(op, "telemetry/cpu", "thing1"))
	// Output:
	// false
	// true
}

func ExampleValidateFilter() {
	err := dimension.ValidateFilter("sport/tennis#")
	fmt.Println(err)
	var fe *dimension.FilterError
	if errors.As(err, &fe) {
		fmt.Println(fe.Offset, errors.Is(err, dimension.ErrInvalidFilter))
	}
	// Output:
	// dimension: invalid topic filter "sport/tennis#" at offset 12: '#' must occupy an entire level
	// 12 true
}

func ExampleValidateTopic() {
	fmt.Println(dimension.ValidateTopic("factory/line3/device42/telemetry"))
	fmt.Println(dimension.ValidateTopic("factory/+/telemetry"))
	// Output:
	// <nil>
	// dimension: invalid topic name "factory/+/telemetry" at offset 8: contains wildcard '+'
}

func ExampleMatcher_MatchValid() {
	m, err := dimension.Compile([]string{"dt/${iot:ClientId}/telemetry", "cmd/#"})
	if err != nil {
		panic(err)
	}
	// Check each input's topic once, then match it against every dimension.
	for _, topic := range []string{"dt/cam-7/telemetry", "cmd/reboot", "dt/+/telemetry"} {
		if err := dimension.ValidateTopic(topic); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(topic, m.MatchValid(topic, "cam-7"))
	}
	// Output:
	// dt/cam-7/telemetry true
	// cmd/reboot true
	// dimension: invalid topic name "dt/+/telemetry" at offset 3: contains wildcard '+'
}
