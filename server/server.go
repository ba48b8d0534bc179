// Package server serves a ruledetect Engine over the AWS IoT control-plane
// HTTP API: the Detect operations (dimensions, custom metrics, security
// profiles, targets, violation listings and verification states) and
// thing-group membership (which scopes profiles attached to thing groups), with the
// REST paths, query parameters, JSON bodies and error shapes of the AWS IoT
// service model, so that the AWS CLI, boto3 and the other official SDKs
// work against it with --endpoint-url. Requests are authenticated with AWS
// Signature Version 4 against the access keys of Config.Credentials.
//
// The server is embeddable: build one with New, mount Handler in your own
// http.Server or let ListenAndServe run one (with TLS when configured),
// and stop it with Shutdown or by cancelling the context. It also serves
// /livez and /readyz for orchestrators and Prometheus metrics on /metrics
// (client_golang: a dependency of this package and the command only, not
// of the library packages). SigV4, TLS and logging are the standard
// library's. Alerts can leave to a webhook and an MQTT topic (Alerts,
// WebhookSink, MQTTSink).
//
// Device data does not arrive here: devices speak MQTT (see package
// server/broker); the Engine the server wraps is shared.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server/broker"
)

// DefaultAddr is the address ListenAndServe listens on when Config.Addr is
// empty: loopback only, so that nothing is exposed by accident.
const DefaultAddr = "127.0.0.1:8443"

// DefaultMaxBodyBytes bounds a request body: AWS IoT's largest Detect
// request, a security profile, is far below it.
const DefaultMaxBodyBytes = 1 << 20

// regionPattern is what a region in a SigV4 credential scope looks like.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$`)

// Config configures a Server. Credentials is required; everything else has
// a default.
type Config struct {
	// Addr is the TCP address ListenAndServe listens on (DefaultAddr when empty).
	Addr string
	// Engine is the engine the server serves. When nil, New creates one
	// with Region and Account.
	Engine *ruledetect.Engine
	// Region is the region requests must be signed for (their credential
	// scope). When empty it is the Engine's region ("us-east-1" for a new one).
	Region string
	// Account is the account id of a new Engine's ARNs (ignored when Engine is set).
	Account string
	// Credentials maps each access key id the server accepts to its secret
	// access key. At least one is required.
	Credentials map[string]string
	// TLSCertFile and TLSKeyFile, when both set, make ListenAndServe serve
	// HTTPS with this PEM certificate (chain) and key.
	TLSCertFile, TLSKeyFile string
	// Ready reports whether the server is ready for traffic (/readyz). Nil
	// means always ready.
	Ready func() bool
	// Commit, when set, receives every state-changing operation instead of
	// the Engine: it must make the Call durable, then have it applied with
	// Server.Apply (one Call at a time, in the log's order) and return what
	// Apply returned, which becomes the response. Nil applies directly.
	Commit func(ctx context.Context, c Call) (any, error)
	// Logger receives one JSON-able record per request (nil: slog.Default()).
	Logger *slog.Logger
	// Now is the clock signatures are checked against (nil: time.Now).
	Now func() time.Time
	// MaxBodyBytes bounds request bodies (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64

	// Alerts, when set, is the Engine's alert sink; /metrics counts the
	// violation events it was offered, by type.
	Alerts *Alerts
	// BrokerStats, when set, reports the MQTT broker's counters for
	// /metrics (nil: they are exported as zero).
	BrokerStats func() broker.Stats
	// Status, when set, reports the durable store's snapshot age and log
	// lag for /metrics (nil: zero).
	Status func() Status
}

// Server is the AWS-compatible HTTP API around one Engine. Its methods are
// safe for concurrent use.
type Server struct {
	cfg     Config
	engine  *ruledetect.Engine
	verify  verifier
	log     *slog.Logger
	handler http.Handler
	metrics *metrics

	// groupsMu serializes the read-modify-write of thing-group membership.
	groupsMu sync.Mutex

	mu   sync.Mutex
	http *http.Server
	addr net.Addr
}

// New checks cfg and returns a Server, creating its Engine when cfg.Engine
// is nil. It listens on nothing yet.
func New(cfg Config) (*Server, error) {
	if len(cfg.Credentials) == 0 {
		return nil, errors.New("server: no credentials: configure at least one access key (every request would be refused)")
	}
	for id, secret := range cfg.Credentials {
		if id == "" || secret == "" || strings.ContainsAny(id, "/ ,=") {
			return nil, fmt.Errorf("server: access key %q: want a non-empty id without '/', ' ', ',' or '=' and a non-empty secret", id)
		}
	}
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return nil, errors.New("server: TLS needs both a certificate file and a key file")
	}
	if cfg.Region != "" && !regionPattern.MatchString(cfg.Region) {
		return nil, fmt.Errorf("server: region %q: want lower-case letters, digits and dashes (us-east-1)", cfg.Region)
	}
	eng := cfg.Engine
	if eng == nil {
		var opts []ruledetect.Option
		if cfg.Region != "" {
			opts = append(opts, ruledetect.WithRegion(cfg.Region))
		}
		if cfg.Account != "" {
			opts = append(opts, ruledetect.WithAccount(cfg.Account))
		}
		var err error
		if eng, err = ruledetect.New(opts...); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	region := cmp.Or(cfg.Region, engineRegion(eng))
	if region != engineRegion(eng) {
		return nil, fmt.Errorf("server: region %q is not the engine's region %q", region, engineRegion(eng))
	}
	s := &Server{
		cfg:    cfg,
		engine: eng,
		verify: verifier{service: "iot", region: region, keys: cfg.Credentials, now: cfg.Now},
		log:    cmp.Or(cfg.Logger, slog.Default()),
	}
	if s.verify.now == nil {
		s.verify.now = time.Now
	}
	if s.cfg.MaxBodyBytes <= 0 {
		s.cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s.metrics = newMetrics(s)
	s.handler = s.routes()
	return s, nil
}

// engineRegion reads the region out of the Engine's ARN prefix
// (arn:aws:iot:REGION:ACCOUNT:).
func engineRegion(e *ruledetect.Engine) string {
	parts := strings.Split(e.Arn(""), ":")
	if len(parts) >= 4 {
		return parts[3]
	}
	return "us-east-1"
}

// Engine returns the Engine the server serves.
func (s *Server) Engine() *ruledetect.Engine { return s.engine }

// Region returns the region requests must be signed for.
func (s *Server) Region() string { return s.verify.region }

// Handler returns the server's HTTP handler: /livez, /readyz, /metrics and
// the AWS API. Mount it in your own http.Server to add middleware or listeners.
func (s *Server) Handler() http.Handler { return s.handler }

// Addr returns the address the server listens on once ListenAndServe or
// Serve has started, or nil.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ListenAndServe listens on cfg.Addr and serves until ctx is cancelled or
// Shutdown is called; it then shuts down gracefully (in-flight requests
// get up to 10 seconds) and returns nil.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", cmp.Or(s.cfg.Addr, DefaultAddr))
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln (HTTPS when TLS is configured) until ctx is cancelled
// or Shutdown is called, as ListenAndServe does. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.mu.Lock()
	if s.http != nil {
		s.mu.Unlock()
		ln.Close()
		return errors.New("server: already serving")
	}
	s.http, s.addr = hs, ln.Addr()
	s.mu.Unlock()

	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	})
	defer stop()
	var err error
	if s.cfg.TLSCertFile != "" {
		err = hs.ServeTLS(ln, s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
	} else {
		err = hs.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("server: %w", err)
}

// Shutdown stops accepting requests and waits for in-flight ones until ctx
// ends. It is a no-op when the server is not serving.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	hs := s.http
	s.mu.Unlock()
	if hs == nil {
		return nil
	}
	return hs.Shutdown(ctx)
}

// routes builds the handler: health endpoints, then one route per
// operation of the table, each authenticated.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Ready != nil && !s.cfg.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "not ready\n")
			return
		}
		io.WriteString(w, "ok\n")
	})
	// Like the health endpoints, /metrics is not signed: Prometheus
	// scrapes without SigV4, and it carries no thing names.
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}))
	for _, op := range operations {
		mux.Handle(op.method+" "+op.path, s.serveOperation(op))
	}
	// What matches no route is answered in the protocol's error shape, not
	// with the mux's plain-text 404 or 405.
	return s.logRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			s.writeError(w, r, &apiError{status: http.StatusNotFound, code: "UnknownOperationException",
				message: fmt.Sprintf("no operation is bound to %s %q", r.Method, r.URL.Path)})
			return
		}
		mux.ServeHTTP(w, r)
	}))
}

// serveOperation authenticates a request, runs op and writes its response.
func (s *Server) serveOperation(op operation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recordOf(r)
		rec.op = op.name
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
		if err != nil {
			s.writeError(w, r, invalidRequest(fmt.Sprintf("request body: %v", err)))
			return
		}
		key, aerr := s.verify.verify(r, body)
		rec.accessKey = key
		if aerr != nil {
			s.writeError(w, r, aerr)
			return
		}
		out, err := s.run(op, &apiRequest{r: r, query: r.URL.Query(), body: body})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		data, err := json.Marshal(out)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(data)
	})
}

// writeError writes err as the AWS REST-JSON protocol does.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	rec := recordOf(r)
	rec.errCode = ae.code
	if ae.code == internalFailure {
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal failure", slog.String("op", rec.op), slog.String("error", err.Error()))
	}
	// Messages may quote what the client sent; JSON carries only UTF-8.
	data, err := json.Marshal(errorBody{Message: strings.ToValidUTF8(ae.message, "\uFFFD"), ResourceID: strings.ToValidUTF8(ae.resourceID, "\uFFFD")})
	if err != nil {
		data = []byte(`{"message":"An unexpected error has occurred."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", ae.code)
	w.WriteHeader(ae.status)
	w.Write(data)
}
