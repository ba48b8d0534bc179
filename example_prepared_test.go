package ruledetect_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ruledetect/ruledetect"
)

// Reports are decoded on several goroutines and applied in the order they
// arrived, as a replay of a recorded fleet does.
func ExampleEngine_PrepareReport() {
	e, _ := ruledetect.New()
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reports := []string{
		`{"header":{"report_id":1,"version":"1.0"},"metrics":{}}`,
		`{"header":{"report_id":2,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[{"port":70000}]}}}`,
		`{"header":{"report_id":3`,
	}
	prepared := make([]ruledetect.PreparedReport, len(reports))
	var wg sync.WaitGroup
	for i, r := range reports {
		wg.Go(func() {
			// The error is kept in prepared[i] and returned by ApplyReport.
			_ = e.PrepareReport(&prepared[i], "cam-1", t.Add(time.Duration(i)*time.Second), ruledetect.JSON, []byte(r))
		})
	}
	wg.Wait()
	for i := range prepared {
		res, err := e.ApplyReport(context.Background(), &prepared[i])
		fmt.Println(res.ReportID, res.DroppedCount, err != nil)
	}
	// Output:
	// 1 0 false
	// 2 1 false
	// 0 0 true
}
