package behavior_test

import (
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/ruledetect/ruledetect/behavior"
)

func ExampleValidateBehaviors() {
	bs, err := behavior.ParseBehaviors([]byte(`{"behaviors":[
		{"name":"CellularBandwidth","metric":"aws:message-byte-size",
		 "criteria":{"comparisonOperator":"greater-than","value":{"count":128}}},
		{"name":"Authorization","metric":"aws:num-authorization-failures",
		 "criteria":{"comparisonOperator":"greater-than","value":{"count":12},"durationSeconds":300,
		             "consecutiveDatapointsToAlarm":100000}}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := behavior.ValidateBehaviors(bs, behavior.ValidateOptions{})
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	// Output:
	// {"valid":false,"validationErrors":[{"errorMessage":"Behavior Authorization is malformed. consecutiveDatapointsToAlarm 100000 should be in range[1,10]"}]}
}

func ExampleLookupMetric() {
	m, ok := behavior.LookupMetric("aws:listening-tcp-ports")
	fmt.Println(ok, m.Side, m.Value.Field(), m.Operators, m.Duration, m.Statistical, m.ML)
	m, _ = behavior.LookupMetric("aws:num-messages-sent")
	fmt.Println(m.Side, m.Value.Field(), m.Duration, m.Dimension)
	_, ok = behavior.LookupMetric("batteryPercentage")
	fmt.Println(ok, behavior.CustomNumber.Metric("batteryPercentage").Value.Field())
	// Output:
	// true device ports in-port-set, not-in-port-set forbidden false false
	// cloud count required true
	// false number
}

func ExampleParseDocument() {
	d, err := behavior.ParseDocument([]byte(`{"Type":"AWS::IoT::SecurityProfile","Properties":{
		"SecurityProfileName":"Cameras",
		"Behaviors":[{"Name":"NoTelnet","Metric":"aws:listening-tcp-ports",
		              "Criteria":{"ComparisonOperator":"not-in-port-set","Value":{"Ports":[23]}}}],
		"TargetArns":["arn:aws:iot:us-east-1:123456789012:thinggroup/cameras"]}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Kind, d.CloudFormation[0].TargetArns, d.Validate(behavior.ValidateOptions{}).Valid)

	_, err = behavior.ParseDocument([]byte(`[{"name":"b","criteria":{"value":{"ports":["22"]}}}]`))
	fmt.Println(err)
	// Output:
	// CloudFormation AWS::IoT::SecurityProfile [arn:aws:iot:us-east-1:123456789012:thinggroup/cameras] true
	// [0].criteria.value.ports[0]: got string, want integer (line 1, column 44)
}
