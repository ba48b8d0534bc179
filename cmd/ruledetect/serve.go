package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
	"github.com/ruledetect/ruledetect/server/broker"
)

func init() {
	commands["serve"] = command{summary: "serve the AWS IoT Detect control-plane API (AWS CLI, boto3, SDKs)", run: runServe}
}

const serveUsage = `usage: ruledetect serve --access-key ID:SECRET... [--access-key-file FILE]
                        [--listen ADDR] [--tls-cert FILE --tls-key FILE]
                        [--region REGION] [--account ID] [--log-level LEVEL]
                        [--mqtt-listen ADDR --mqtt-passwords FILE [--mqtt-acl FILE]]
                        [--allowed-lateness DURATION] [--metric-retention DURATION]
                        [--alert-webhook URL] [--alert-topic TOPIC] [--alert-attempts N]
                        [--data DIR [--nats URL] [--snapshot-every N] [--snapshot-interval DURATION]]

Serves the AWS IoT Device Defender Detect control plane over HTTP with the
AWS IoT API's paths, bodies and errors, so that the AWS CLI and the SDKs
work against it with --endpoint-url. Requests must be signed (SigV4,
service "iot") with one of the configured access keys. The engine's clock
advances every second to the wall clock. SIGINT or SIGTERM shut it down
gracefully (exit 0).

flags:
  --listen ADDR            address to listen on (default ` + server.DefaultAddr + `)
  --access-key ID:SECRET   an access key the server accepts; repeatable
  --access-key-file FILE   access keys, one ID:SECRET per line (# comments)
  --tls-cert FILE          serve HTTPS with this PEM certificate (with --tls-key)
  --tls-key FILE           the PEM private key of --tls-cert
  --region REGION          region of the ARNs and of request signatures (default us-east-1)
  --account ID             12-digit account id of the ARNs (default 123456789012)
  --log-level LEVEL        debug, info, warn or error (default info); logs are JSON on standard error
  --mqtt-listen ADDR       also run the MQTT broker devices connect to, on ADDR (e.g. :1883);
                           off when empty (default)
  --mqtt-passwords FILE    the things that may connect, one THING:PASSWORD per line (# comments);
                           the client id is the thing name
  --mqtt-acl FILE          the broker's ACL, one "CLIENT ACTION FILTER" rule per line with
                           ${iot:ClientId} (default: a thing publishes and subscribes under
                           its own name and its Device Defender topics)
  --allowed-lateness DURATION
                           how late an input may be applied after the clock passed its
                           receipt time and still count in its window (default 5s)
` + opsUsage + `` + durableUsage + `
Alerts are delivered at least once, in event order; see README "Run it as a
service". /metrics serves Prometheus metrics, unsigned, like /livez and /readyz.

Every flag can also be set by an environment variable, RULEDETECT_ and the
flag's name in upper case with underscores: RULEDETECT_LISTEN,
RULEDETECT_ACCESS_KEY (comma-separated for several), RULEDETECT_TLS_CERT,
… The command line wins over the environment.

Exit status: 0 after a graceful shutdown, 1 when the server fails, 2 for a
usage error.
`

// accessKeys is the repeatable --access-key flag: ID:SECRET pairs.
type accessKeys map[string]string

func (k accessKeys) String() string {
	ids := make([]string, 0, len(k))
	for id := range k {
		ids = append(ids, id) // never the secrets
	}
	return strings.Join(ids, ",")
}

func (k accessKeys) Set(s string) error {
	id, secret, ok := strings.Cut(s, ":")
	if !ok || id == "" || secret == "" {
		return errors.New("want ID:SECRET")
	}
	if old, dup := k[id]; dup && old != secret {
		return fmt.Errorf("access key %s given twice with different secrets", id)
	}
	k[id] = secret
	return nil
}

// readAccessKeyFile adds the ID:SECRET lines of file to keys.
func readAccessKeyFile(file string, keys accessKeys) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := keys.Set(line); err != nil {
			return fmt.Errorf("%s:%d: %v", file, n, err)
		}
	}
	return sc.Err()
}

// serveConfig is the parsed command line of serve.
type serveConfig struct {
	listen, tlsCert, tlsKey, region, account string
	keys                                     accessKeys
	logLevel                                 slog.Level
	mqttListen                               string
	mqttPasswords                            accessKeys // thing → password, read as THING:PASSWORD lines
	mqttACL                                  *broker.ACL
	lateness                                 time.Duration
	ops                                      opsConfig
	durable                                  durableConfig
	now                                      func() time.Time // time.Now but in the crash test
}

func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	cfg, code, ok := parseServe(args, os.LookupEnv, stdout, stderr)
	if !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, nil, stderr)
}

func parseServe(args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) (serveConfig, int, bool) {
	cfg := serveConfig{keys: accessKeys{}, mqttPasswords: accessKeys{}}
	fs := newFlagSet("serve")
	fs.StringVar(&cfg.listen, "listen", server.DefaultAddr, "")
	fs.Var(cfg.keys, "access-key", "")
	keyFile := fs.String("access-key-file", "", "")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "")
	fs.StringVar(&cfg.region, "region", "us-east-1", "")
	fs.StringVar(&cfg.account, "account", "123456789012", "")
	fs.TextVar(&cfg.logLevel, "log-level", slog.LevelInfo, "")
	fs.StringVar(&cfg.mqttListen, "mqtt-listen", "", "")
	passwords := fs.String("mqtt-passwords", "", "")
	aclFile := fs.String("mqtt-acl", "", "")
	fs.DurationVar(&cfg.lateness, "allowed-lateness", 5*time.Second, "")
	addOpsFlags(fs, &cfg.ops)
	addDurableFlags(fs, &cfg.durable)
	cfg.now = serveClock(lookup)
	if code, ok := parseFlags(fs, args, serveUsage, stdout, stderr); !ok {
		return cfg, code, false
	}
	if err := applyEnv(fs, map[string]bool{"access-key": true}, lookup); err != nil {
		return cfg, usageError(stderr, "serve", "%v", err), false
	}
	if fs.NArg() > 0 {
		return cfg, usageError(stderr, "serve", "unexpected argument %q", fs.Arg(0)), false
	}
	if *keyFile != "" {
		if err := readAccessKeyFile(*keyFile, cfg.keys); err != nil {
			return cfg, usageError(stderr, "serve", "--access-key-file: %v", err), false
		}
	}
	if len(cfg.keys) == 0 {
		return cfg, usageError(stderr, "serve", "no access key: give --access-key ID:SECRET or --access-key-file FILE"), false
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return cfg, usageError(stderr, "serve", "--tls-cert and --tls-key go together"), false
	}
	if cfg.lateness < 0 || cfg.lateness >= 48*time.Hour {
		return cfg, usageError(stderr, "serve", "--allowed-lateness %v: want 0 up to, not including, 48h", cfg.lateness), false
	}
	if err := cfg.ops.check(cfg.mqttListen); err != nil {
		return cfg, usageError(stderr, "serve", "%v", err), false
	}
	if msg := cfg.durable.check(); msg != "" {
		return cfg, usageError(stderr, "serve", "%s", msg), false
	}
	if cfg.mqttListen != "" {
		if *passwords == "" {
			return cfg, usageError(stderr, "serve", "--mqtt-listen needs --mqtt-passwords FILE"), false
		}
		if err := readAccessKeyFile(*passwords, cfg.mqttPasswords); err != nil {
			return cfg, usageError(stderr, "serve", "--mqtt-passwords: %v", err), false
		}
		if *aclFile != "" {
			f, err := os.Open(*aclFile)
			if err != nil {
				return cfg, usageError(stderr, "serve", "--mqtt-acl: %v", err), false
			}
			cfg.mqttACL, err = broker.ParseACL(f)
			f.Close()
			if err != nil {
				return cfg, usageError(stderr, "serve", "--mqtt-acl %s: %v", *aclFile, err), false
			}
		}
	} else if *passwords != "" || *aclFile != "" {
		return cfg, usageError(stderr, "serve", "--mqtt-passwords and --mqtt-acl need --mqtt-listen"), false
	}
	return cfg, 0, true
}

// serve runs the server until ctx ends, then shuts it down and returns 0.
// ready, when set, receives the server and the broker (nil without
// --mqtt-listen) once they listen (tests learn their addresses and engine).
func serve(ctx context.Context, cfg serveConfig, ready func(*server.Server, *broker.Broker), stderr io.Writer) int {
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	// Inputs are stamped at receipt and the clock is the ticker below: the
	// allowed lateness covers the time between stamping and applying.
	ops := newServeOps(cfg.ops)
	now := cfg.now
	if now == nil {
		now = time.Now
	}
	b, err := openBackend(ctx, cfg.durable, append([]ruledetect.Option{ruledetect.WithRegion(cfg.region), ruledetect.WithAccount(cfg.account),
		ruledetect.WithAllowedLateness(cfg.lateness)}, ops.engineOptions()...), log)
	if err != nil {
		if cfg.durable.dir == "" {
			fmt.Fprintf(stderr, "ruledetect serve: %v\n", err) // a bad option
			return 2
		}
		log.Error("open the durable log", "error", err.Error())
		return 1
	}
	defer b.close(context.Background()) // a no-op after the graceful close below
	// A failed log stops serve (exit 1): the Engine may be out of step with
	// the log, and a restart recovers from the log.
	ctx, failStop := context.WithCancel(ctx)
	defer failStop()
	go func() {
		select {
		case <-b.failed():
			failStop()
		case <-ctx.Done():
		}
	}()
	eng := b.eng
	scfg := server.Config{
		Addr: cfg.listen, Engine: eng, Region: cfg.region, Credentials: cfg.keys,
		TLSCertFile: cfg.tlsCert, TLSKeyFile: cfg.tlsKey, Logger: log, Commit: b.commit(), Ready: b.ready(),
		Status: b.status,
	}
	ops.configure(&scfg)
	srv, err := server.New(scfg)
	if err != nil {
		fmt.Fprintf(stderr, "ruledetect serve: %v\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		log.Error("listen", "error", err.Error())
		return 1
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ctx, ln) }()
	// The HTTP API answers /readyz (503) while the log's tail is replayed;
	// the clock and the broker start once it has caught up.
	if err := b.recover(ctx, srv); err != nil {
		log.Error("recover", "error", err.Error())
		return 1
	}
	// A live service stamps inputs at receipt; the ticker closes evaluation
	// periods even when the fleet is quiet.
	tickCtx, stopTicker := context.WithCancel(ctx)
	defer stopTicker()
	go logGivenUp(tickCtx, eng, log)
	tickerDone := make(chan struct{})
	go func() {
		defer close(tickerDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-tickCtx.Done():
				return
			case <-t.C:
				// Through the log, timed for /metrics. An error is the
				// ticker stopping or the log's failure, which stops serve.
				_ = srv.AdvanceThrough(tickCtx, now(), b.advance)
			}
		}
	}()
	var mq *broker.Broker
	if cfg.mqttListen != "" {
		mq, err = broker.New(broker.Config{Engine: eng, Ingester: b.ingester(), Now: now, Listen: cfg.mqttListen, Passwords: cfg.mqttPasswords,
			ACL: cfg.mqttACL, TLSCertFile: cfg.tlsCert, TLSKeyFile: cfg.tlsKey, Logger: log})
		if err != nil {
			log.Error("mqtt", "error", err.Error())
			ln.Close()
			return 1
		}
		ops.brokerStarted(mq)
		go func() { errc <- mq.Serve(ctx) }()
		log.Info("mqtt broker listening", "addr", mq.Addr())
	}
	scheme := "http"
	if cfg.tlsCert != "" {
		scheme = "https"
	}
	log.Info("listening", "addr", ln.Addr().String(), "endpoint", scheme+"://"+ln.Addr().String(), "region", cfg.region)
	if ready != nil {
		ready(srv, mq)
	}
	// Both stop when ctx ends; a failure of either stops the command.
	running, code := 1, 0
	if mq != nil {
		running++
	}
	for ; running > 0; running-- {
		if err := <-errc; err != nil && code == 0 {
			log.Error("serve", "error", err.Error())
			code = 1
			stopTicker()
			if mq != nil {
				mq.Close()
			}
		}
	}
	stopTicker()
	<-tickerDone
	if err := b.err(); err != nil {
		log.Error("durable log", "error", err.Error())
		return 1
	}
	if code != 0 {
		return code
	}
	// Every input is applied; the final snapshot makes the next start fast.
	closeCtx, cancelClose := context.WithTimeout(context.Background(), time.Minute)
	defer cancelClose()
	if err := b.close(closeCtx); err != nil {
		log.Error("close the durable log", "error", err.Error())
		return 1
	}
	flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := eng.Flush(flushCtx); err != nil {
		log.Warn("flush alerts", "error", err.Error())
	}
	log.Info("stopped")
	return 0
}
