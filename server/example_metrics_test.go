package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
)

// A service's clock ticker calls Server.Advance, which times each period
// close for /metrics; Prometheus scrapes /metrics without a signature.
func ExampleServer_Advance() {
	ctx := context.Background()
	eng, err := ruledetect.New()
	if err != nil {
		panic(err)
	}
	srv, err := server.New(server.Config{
		Engine:      eng,
		Credentials: map[string]string{"AKIDEXAMPLE": "example-secret"},
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Status:      func() server.Status { return server.Status{SnapshotAge: 30 * time.Second} },
	})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		if err := srv.Advance(ctx, start.Add(time.Duration(i)*time.Second)); err != nil {
			panic(err)
		}
	}

	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "ruledetect_period_close_seconds_count") || strings.HasPrefix(line, "ruledetect_snapshot_age_seconds ") {
			fmt.Println(line)
		}
	}
	// Output:
	// ruledetect_period_close_seconds_count 3
	// ruledetect_snapshot_age_seconds 30
}
