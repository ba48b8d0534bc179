package server

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// suiteTime is when AWS's SigV4 test suite signed its requests.
var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

func suiteVerifier() *verifier {
	return &verifier{
		service: "service", region: "us-east-1",
		keys: map[string]string{"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
		now:  func() time.Time { return suiteTime },
	}
}

// parseSreq reads a raw request of the suite as a server would receive it.
// The suite's request lines may hold a raw space or UTF-8 (get-space,
// get-utf8), which http.ReadRequest refuses, so the request line is split
// at its first and last space.
func parseSreq(t *testing.T, data []byte) (*http.Request, []byte) {
	t.Helper()
	head, body, _ := strings.Cut(string(data), "\n\n")
	lines := strings.Split(head, "\n")
	first := lines[0]
	method, rest, _ := strings.Cut(first, " ")
	uri := rest[:strings.LastIndexByte(rest, ' ')]
	r := &http.Request{Method: method, RequestURI: uri, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		require.True(t, ok, l)
		if strings.EqualFold(k, "Host") {
			r.Host = v
			continue
		}
		r.Header.Add(k, strings.TrimLeft(v, " "))
	}
	path, query, _ := strings.Cut(uri, "?")
	r.URL = &url.URL{Path: path, RawQuery: query}
	return r, []byte(body)
}

// TestSigV4TestSuite verifies the signed requests of AWS's SigV4 test
// suite, and that changing any signed part of them breaks the signature.
func TestSigV4TestSuite(t *testing.T) {
	files, err := filepath.Glob("testdata/sigv4/*.sreq")
	require.NoError(t, err)
	require.Len(t, files, 10)
	v := suiteVerifier()
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".sreq"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			r, body := parseSreq(t, data)
			key, aerr := v.verify(r, body)
			require.Nil(t, aerr)
			assert.Equal(t, "AKIDEXAMPLE", key)

			// Tampering with the body, a signed header or the path fails.
			_, aerr = v.verify(r, append(bytes.Clone(body), 'x'))
			require.NotNil(t, aerr)
			assert.Equal(t, "InvalidSignatureException", aerr.code)

			r2, body2 := parseSreq(t, data)
			r2.Header.Set("X-Amz-Date", "20150830T123601Z")
			_, aerr = v.verify(r2, body2)
			require.NotNil(t, aerr)
			assert.Equal(t, "InvalidSignatureException", aerr.code)

			r3, body3 := parseSreq(t, data)
			r3.RequestURI = "/x" + r3.RequestURI
			_, aerr = v.verify(r3, body3)
			require.NotNil(t, aerr)
			assert.Equal(t, http.StatusForbidden, aerr.status)
		})
	}
}

// TestCanonicalQuery: the suite's ordering and encoding rules.
func TestCanonicalQuery(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"", ""},
		{"Param2=value2&Param1=value1", "Param1=value1&Param2=value2"},
		{"Param1=value2&Param1=Value1", "Param1=Value1&Param1=value2"},
		{"a=b+c", "a=b%2Bc"},
		{"a=b%20c", "a=b%20c"},
		{"a=%2f", "a=%2F"},
		{"Param1", "Param1="},
		{"a=%zz", "a=%25zz"},
		{"startTime=2026-12-01T00%3A00%3A00Z", "startTime=2026-12-01T00%3A00%3A00Z"},
	} {
		assert.Equal(t, tc.want, canonicalQuery(tc.raw, false), tc.raw)
	}
	assert.Equal(t, "a=1", canonicalQuery("X-Amz-Signature=abc&a=1", true))
}

// signRequest signs r at t as a SigV4 client does (for the error-path
// tests; the suite above checks the algorithm itself).
func signRequest(r *http.Request, body []byte, id, secret, region string, t time.Time) {
	r.Header.Set("X-Amz-Date", t.UTC().Format(amzDateLayout))
	p := sigParams{accessKey: id, date: t.UTC().Format("20060102"), region: region, service: "iot",
		signedHeaders: []string{"host", "x-amz-date"}, amzDate: t.UTC(), amzDateRaw: t.UTC().Format(amzDateLayout)}
	sig := signature(secret, p, stringToSign(p, canonicalRequest(r, p, body)))
	r.Header.Set("Authorization", sigV4Algorithm+" Credential="+id+"/"+p.scope()+", SignedHeaders=host;x-amz-date, Signature="+sig)
}

// TestSigV4Errors: every way a request fails authentication, with AWS's
// error code.
func TestSigV4Errors(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	v := &verifier{service: "iot", region: "us-east-1", keys: map[string]string{"AKID": "secret"}, now: func() time.Time { return now }}
	newReq := func() *http.Request {
		r, err := http.NewRequest("GET", "http://127.0.0.1:1/dimensions?maxResults=2", nil)
		require.NoError(t, err)
		r.RequestURI = "/dimensions?maxResults=2"
		return r
	}
	signed := func(id, secret, region string, at time.Time) *http.Request {
		r := newReq()
		signRequest(r, nil, id, secret, region, at)
		return r
	}
	for _, tc := range []struct {
		name    string
		r       *http.Request
		code    string
		message string
	}{
		{"unsigned", newReq(), "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"unknown key", signed("OTHER", "secret", "us-east-1", now), "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"wrong secret", signed("AKID", "wrong", "us-east-1", now), "InvalidSignatureException", "The request signature we calculated does not match"},
		{"expired", signed("AKID", "secret", "us-east-1", now.Add(-16*time.Minute)), "InvalidSignatureException", "Signature expired: 20261201T114400Z is now earlier than 20261201T114500Z (20261201T120000Z - 15 min.)"},
		{"future", signed("AKID", "secret", "us-east-1", now.Add(16*time.Minute)), "InvalidSignatureException", "Signature not yet current"},
		{"other region", signed("AKID", "secret", "eu-west-1", now), "InvalidSignatureException", "Credential should be scoped to a valid region"},
		{"malformed", func() *http.Request {
			r := newReq()
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID")
			return r
		}(), "IncompleteSignatureException", "Authorization header requires 'SignedHeaders' parameter"},
		{"other algorithm", func() *http.Request {
			r := newReq()
			r.Header.Set("Authorization", "AWS AKID:sig")
			return r
		}(), "IncompleteSignatureException", "AWS4-HMAC-SHA256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, aerr := v.verify(tc.r, nil)
			require.NotNil(t, aerr)
			assert.Equal(t, http.StatusForbidden, aerr.status)
			assert.Equal(t, tc.code, aerr.code)
			assert.Contains(t, aerr.message, tc.message)
		})
	}
	// Within the 15 minutes either way, the request passes.
	for _, d := range []time.Duration{-14 * time.Minute, 0, 14 * time.Minute} {
		_, aerr := v.verify(signed("AKID", "secret", "us-east-1", now.Add(d)), nil)
		assert.Nil(t, aerr, d)
	}
}

// TestSigV4Presigned: a presigned URL (query auth) verifies until it expires.
func TestSigV4Presigned(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	v := &verifier{service: "iot", region: "us-east-1", keys: map[string]string{"AKID": "secret"}, now: func() time.Time { return now }}
	presign := func(at time.Time, expires string) *http.Request {
		p := sigParams{accessKey: "AKID", date: at.Format("20060102"), region: "us-east-1", service: "iot",
			signedHeaders: []string{"host"}, amzDate: at, amzDateRaw: at.Format(amzDateLayout), presigned: true}
		q := url.Values{
			"X-Amz-Algorithm": {sigV4Algorithm}, "X-Amz-Credential": {"AKID/" + p.scope()},
			"X-Amz-Date": {p.amzDateRaw}, "X-Amz-Expires": {expires}, "X-Amz-SignedHeaders": {"host"},
		}
		uri := "/dimensions?" + q.Encode()
		r, err := http.NewRequest("GET", "http://127.0.0.1:1"+uri, nil)
		require.NoError(t, err)
		r.RequestURI = uri
		sig := signature("secret", p, stringToSign(p, canonicalRequest(r, p, nil)))
		r.RequestURI += "&X-Amz-Signature=" + sig
		r.URL.RawQuery += "&X-Amz-Signature=" + sig
		return r
	}
	_, aerr := v.verify(presign(now.Add(-time.Minute), "300"), nil)
	assert.Nil(t, aerr)
	_, aerr = v.verify(presign(now.Add(-10*time.Minute), "300"), nil)
	require.NotNil(t, aerr)
	assert.Equal(t, "InvalidSignatureException", aerr.code)
	assert.Contains(t, aerr.message, "Signature expired")
	_, aerr = v.verify(presign(now, "0"), nil)
	require.NotNil(t, aerr)
	assert.Equal(t, "IncompleteSignatureException", aerr.code)
}

// FuzzSigV4 feeds arbitrary Authorization headers, dates and query strings
// to the verifier: it must refuse them with a 403 error shape, never panic.
func FuzzSigV4(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d", "20150830T123600Z", "Param2=value2&Param1=value1")
	f.Add("", "", "X-Amz-Credential=a/b/c/d/aws4_request&X-Amz-Signature=00")
	f.Add("AWS4-HMAC-SHA256 ,,,=", "x", "%")
	v := suiteVerifier()
	f.Fuzz(func(t *testing.T, auth, date, query string) {
		r := &http.Request{Method: "GET", RequestURI: "/?" + query, Host: "example.amazonaws.com", Header: http.Header{}}
		r.URL = &url.URL{Path: "/", RawQuery: query}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		_, aerr := v.verify(r, nil)
		if aerr == nil {
			t.Fatalf("accepted a request signed with nothing valid: %q %q %q", auth, date, query)
		}
		if aerr.status != http.StatusForbidden {
			t.Fatalf("status %d", aerr.status)
		}
	})
}
