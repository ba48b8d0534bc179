package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testKey, testSecret = "AKIDTEST", "testsecret"

func newTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Credentials == nil {
		cfg.Credentials = map[string]string{testKey: testSecret}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	s, err := New(cfg)
	require.NoError(t, err)
	return s
}

// serveLoopback runs s on 127.0.0.1:0 until the test ends and returns its base URL.
func serveLoopback(t *testing.T, s *Server, scheme string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return scheme + "://" + ln.Addr().String()
}

// do sends a signed request and returns the status, the error type header
// and the body.
func do(t *testing.T, c *http.Client, method, url string, body []byte) (int, string, map[string]any) {
	t.Helper()
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	r.RequestURI = r.URL.RequestURI()
	signRequest(r, body, testKey, testSecret, "us-east-1", time.Now())
	r.RequestURI = ""
	resp, err := c.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(data) > 0 {
		require.NoError(t, json.Unmarshal(data, &out), string(data))
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), out
}

// TestErrorShapes: the Engine's errors leave as the model's error shapes:
// status, x-amzn-ErrorType and {"message": …} in the service's words.
func TestErrorShapes(t *testing.T) {
	s := newTestServer(t, Config{})
	base := serveLoopback(t, s, "http")
	c := http.DefaultClient
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code, message            string
	}{
		{"not found", "GET", "/dimensions/nope", "", 404, "ResourceNotFoundException", "dimension nope does not exist"},
		{"invalid", "POST", "/dimensions/d1", `{"type":"NOPE","stringValues":["a/#"],"clientRequestToken":"t1"}`, 400, "InvalidRequestException", "type"},
		{"bad body", "POST", "/dimensions/d1", `{"type":`, 400, "InvalidRequestException", "request body"},
		{"unknown member", "POST", "/dimensions/d1", `{"type":"TOPIC_FILTER","stringValues":["a/#"],"clientRequestToken":"t1","bogus":1}`, 400, "InvalidRequestException", "bogus"},
		{"bad maxResults", "GET", "/dimensions?maxResults=x", "", 400, "InvalidRequestException", "maxResults"},
		{"missing target", "PUT", "/security-profiles/p/targets", "", 400, "InvalidRequestException", "securityProfileTargetArn"},
		{"missing startTime", "GET", "/violation-events?endTime=2026-01-01T00:00:00Z", "", 400, "InvalidRequestException", "startTime"},
		{"unknown route", "GET", "/things", "", 404, "UnknownOperationException", "no operation"},
		{"wrong method", "PUT", "/dimensions/d1", "", 404, "UnknownOperationException", "no operation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, body := do(t, c, tc.method, base+tc.path, []byte(tc.body))
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.code, code)
			assert.Contains(t, body["message"], tc.message)
		})
	}
	// ResourceAlreadyExistsException carries the resource id.
	create := []byte(`{"type":"TOPIC_FILTER","stringValues":["a/#"],"clientRequestToken":"t1"}`)
	status, _, _ := do(t, c, "POST", base+"/dimensions/d1", create)
	require.Equal(t, 200, status)
	status, code, body := do(t, c, "POST", base+"/dimensions/d1", []byte(`{"type":"TOPIC_FILTER","stringValues":["b/#"],"clientRequestToken":"t2"}`))
	assert.Equal(t, 409, status)
	assert.Equal(t, "ResourceAlreadyExistsException", code)
	assert.Equal(t, "d1", body["resourceId"])
}

// TestHealth: /livez always answers, /readyz follows Config.Ready, and
// neither needs a signature.
func TestHealth(t *testing.T) {
	var ready atomic.Bool
	s := newTestServer(t, Config{Ready: ready.Load})
	base := serveLoopback(t, s, "http")
	get := func(path string) int {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 200, get("/livez"))
	assert.Equal(t, 503, get("/readyz"))
	ready.Store(true)
	assert.Equal(t, 200, get("/readyz"))
	// The API itself needs a signature.
	resp, err := http.Get(base + "/dimensions")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 403, resp.StatusCode)
	assert.Equal(t, "MissingAuthenticationTokenException", resp.Header.Get("X-Amzn-ErrorType"))
}

// TestBodyLimit: a body over MaxBodyBytes is refused before it is hashed.
func TestBodyLimit(t *testing.T) {
	s := newTestServer(t, Config{MaxBodyBytes: 100})
	base := serveLoopback(t, s, "http")
	status, code, _ := do(t, http.DefaultClient, "POST", base+"/security-profile-behaviors/validate", bytes.Repeat([]byte(" "), 101))
	assert.Equal(t, 400, status)
	assert.Equal(t, "InvalidRequestException", code)
}

// TestNewRejects: configurations New refuses.
func TestNewRejects(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no credentials": {},
		"empty secret":   {Credentials: map[string]string{"A": ""}},
		"slash in id":    {Credentials: map[string]string{"A/B": "s"}},
		"half TLS":       {Credentials: map[string]string{"A": "s"}, TLSCertFile: "c.pem"},
		"bad region":     {Credentials: map[string]string{"A": "s"}, Region: "not a region!"},
		"engine region":  {Credentials: map[string]string{"A": "s"}, Region: "eu-west-1", Engine: mustEngine(t)},
	} {
		_, err := New(cfg)
		assert.Error(t, err, name)
	}
}

func mustEngine(t *testing.T) *ruledetect.Engine {
	e, err := ruledetect.New() // us-east-1
	require.NoError(t, err)
	return e
}

// TestTLS serves HTTPS with a self-signed certificate made here.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := writeSelfSigned(t, certFile, keyFile)
	s := newTestServer(t, Config{TLSCertFile: certFile, TLSKeyFile: keyFile})
	base := serveLoopback(t, s, "https")
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	status, _, body := do(t, c, "GET", base+"/dimensions", nil)
	assert.Equal(t, 200, status)
	assert.Equal(t, []any{}, body["dimensionNames"])
	// Plain HTTP to the TLS port fails.
	resp, err := http.Get(strings.Replace(base, "https", "http", 1) + "/livez")
	if err == nil {
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	}
}

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and its
// key, and returns a pool that trusts it.
func writeSelfSigned(t *testing.T, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "ruledetect test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// TestErrorMessageWithInvalidUTF8 is the regression test for an error
// message quoting a path that is not UTF-8: the JSON body was cut short
// (found by FuzzAPI).
func TestErrorMessageWithInvalidUTF8(t *testing.T) {
	s := newTestServer(t, Config{})
	base := serveLoopback(t, s, "http")
	status, code, body := do(t, http.DefaultClient, "GET", base+"/%ff%fe", nil)
	assert.Equal(t, 404, status)
	assert.Equal(t, "UnknownOperationException", code)
	assert.Contains(t, body["message"], "no operation")
}
