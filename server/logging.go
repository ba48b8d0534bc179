package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// requestRecord collects what the request log says about one request. It
// names the operation and the access key, never the resources (profile,
// thing or dimension names stay out of info-level logs).
type requestRecord struct {
	op        string
	accessKey string
	errCode   string
	status    int
}

type recordKey struct{}

// recordOf returns the request's record (a throwaway one when the request
// did not pass through logRequests, as in a handler mounted elsewhere).
func recordOf(r *http.Request) *requestRecord {
	if rec, ok := r.Context().Value(recordKey{}).(*requestRecord); ok {
		return rec
	}
	return &requestRecord{}
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	rec *requestRecord
}

func (w *statusWriter) WriteHeader(code int) {
	if w.rec.status == 0 {
		w.rec.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.rec.status == 0 {
		w.rec.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// logRequests logs one record per request at info level (debug for the
// health endpoints, which orchestrators poll): method, operation, status,
// error code, access key, remote address and duration. The path, which
// carries resource names, is logged at debug level only.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &requestRecord{}
		r = r.WithContext(context.WithValue(r.Context(), recordKey{}, rec))
		next.ServeHTTP(&statusWriter{ResponseWriter: w, rec: rec}, r)
		level := slog.LevelInfo
		if rec.op == "" && (r.URL.Path == "/livez" || r.URL.Path == "/readyz") {
			level = slog.LevelDebug
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("op", rec.op),
			slog.Int("status", rec.status),
			slog.String("remote", r.RemoteAddr),
			slog.Duration("duration", time.Since(start)),
		}
		if rec.errCode != "" {
			attrs = append(attrs, slog.String("error", rec.errCode))
		}
		if rec.accessKey != "" {
			attrs = append(attrs, slog.String("accessKey", rec.accessKey))
		}
		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			attrs = append(attrs, slog.String("path", r.URL.Path))
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}
