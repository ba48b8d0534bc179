package fleet_test

import (
	"fmt"
	"time"

	"github.com/ruledetect/ruledetect/internal/fleet"
	"github.com/ruledetect/ruledetect/internal/replay"
)

func ExampleFleet_Records() {
	f := fleet.New(fleet.Config{Things: 100, Duration: 2 * time.Hour, Seed: 1})
	kinds := map[replay.Kind]int{}
	for rec := range f.Records() {
		kinds[rec.Kind]++ // rec is reused: copy what must outlive this iteration
	}
	fmt.Println("reports:", kinds[replay.Report])
	for _, in := range f.Compromised() {
		fmt.Println(in.Thing, in.Attack, in.Behaviors, in.Start.Format(time.TimeOnly))
	}
	// Output:
	// reports: 2400
	// cam-00093 outside-connect [SourceIp] 00:31:12
	// cam-00062 exfiltration [DestinationIps BytesOut] 00:47:53
	// cam-00097 auth-failure-burst [AuthorizationFailures] 00:58:54
	// sensor-00031 cpu-pegged [CpuUsage] 01:00:51
	// cam-00017 message-flood [MessagesSent MessageSize] 01:13:09
}
