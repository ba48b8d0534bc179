package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzAPI sends correctly signed requests with arbitrary methods, paths,
// queries and bodies through the whole handler. Whatever arrives, the
// answer is a modeled status with a JSON body, an error carries its type
// header and a message, and nothing is an internal failure.
func FuzzAPI(f *testing.F) {
	f.Add("POST", "/dimensions/d1", "", `{"type":"TOPIC_FILTER","stringValues":["a/#"],"clientRequestToken":"t"}`)
	f.Add("POST", "/security-profiles/p", "", `{"behaviors":[{"name":"b","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"greater-than","value":{"count":1},"durationSeconds":300}}]}`)
	f.Add("PATCH", "/security-profiles/p", "expectedVersion=1", `{"securityProfileDescription":"x"}`)
	f.Add("GET", "/violation-events", "startTime=2026-01-01T00:00:00Z&endTime=2026-01-02T00:00:00Z&maxResults=3", "")
	f.Add("GET", "/active-violations", "listSuppressedAlerts=maybe&behaviorCriteriaType=X", "")
	f.Add("PUT", "/security-profiles/p/targets", "securityProfileTargetArn=arn:aws:iot:us-east-1:123456789012:all/things", "")
	f.Add("POST", "/security-profile-behaviors/validate", "", `[1,2]`)
	f.Add("POST", "/violations/verification-state/abc", "", `{"verificationState":"BENIGN_POSITIVE"}`)
	now := time.Now()
	s, err := New(Config{
		Credentials: map[string]string{"AKID": "secret"},
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:         func() time.Time { return now },
	})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path+query, " \r\n\t#") || method == "" || strings.ContainsAny(method, " \r\n\t/") {
			return
		}
		uri := path
		if query != "" {
			uri += "?" + query
		}
		r, err := http.NewRequest(method, "http://127.0.0.1"+uri, bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		r.RequestURI = uri
		signRequest(r, []byte(body), "AKID", "secret", "us-east-1", now)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case 200, 400, 403, 404, 409, 410:
		default:
			t.Fatalf("%s %s: status %d: %s", method, uri, w.Code, w.Body)
		}
		if w.Code == 200 && path == "/livez" || path == "/readyz" {
			return
		}
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: body is not a JSON object: %q", method, uri, w.Body)
		}
		if w.Code != 200 {
			if w.Header().Get("X-Amzn-ErrorType") == "" || out["message"] == "" {
				t.Fatalf("%s %s: error without type or message: %v", method, uri, w.Body)
			}
		}
	})
}
