package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SigV4 constants: the only algorithm AWS IoT accepts, the timestamp layout
// of X-Amz-Date, and how far a request's time may be from the server's
// before AWS refuses it as expired (15 minutes, both directions).
const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	amzDateLayout  = "20060102T150405Z"
	maxClockSkew   = 15 * time.Minute
	// maxPresignExpiry is AWS's upper bound for X-Amz-Expires: 7 days.
	maxPresignExpiry = 7 * 24 * time.Hour
)

// verifier checks AWS Signature Version 4 on requests for one service and
// region against a fixed set of access keys.
type verifier struct {
	service string
	region  string
	keys    map[string]string // access key id → secret access key
	now     func() time.Time
}

// sigParams are the parts of a signature as the request carries them, in the
// Authorization header or in the query (presigned URL).
type sigParams struct {
	accessKey     string
	date          string // yyyymmdd of the credential scope
	region        string
	service       string
	signedHeaders []string
	signature     string
	amzDate       time.Time
	amzDateRaw    string
	presigned     bool
	expires       time.Duration // presigned only
}

// verify authenticates r, whose body (already read) is payload. It returns
// the access key id on success, or the *apiError AWS returns.
func (v *verifier) verify(r *http.Request, payload []byte) (string, *apiError) {
	p, aerr := parseSignature(r)
	if aerr != nil {
		return "", aerr
	}
	secret, ok := v.keys[p.accessKey]
	if !ok {
		return "", errUnrecognizedClient()
	}
	if p.service != v.service {
		return p.accessKey, authError(http.StatusForbidden, "InvalidSignatureException",
			fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", v.service))
	}
	if p.region != v.region {
		return p.accessKey, authError(http.StatusForbidden, "InvalidSignatureException",
			fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", p.region))
	}
	if p.date != p.amzDate.Format("20060102") {
		return p.accessKey, authError(http.StatusForbidden, "InvalidSignatureException",
			fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
				p.date, p.amzDate.Format("20060102"), p.amzDateRaw))
	}
	if aerr := v.checkTime(p); aerr != nil {
		return p.accessKey, aerr
	}
	want := signature(secret, p, stringToSign(p, canonicalRequest(r, p, payload)))
	if subtle.ConstantTimeCompare([]byte(want), []byte(p.signature)) != 1 {
		return p.accessKey, errSignatureMismatch()
	}
	return p.accessKey, nil
}

// checkTime refuses a header-signed request more than 15 minutes from the
// server's clock, and a presigned one outside [X-Amz-Date, +X-Amz-Expires].
func (v *verifier) checkTime(p sigParams) *apiError {
	now := v.now().UTC()
	if p.presigned {
		if now.Before(p.amzDate.Add(-maxClockSkew)) {
			return authError(http.StatusForbidden, "InvalidSignatureException",
				fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
					p.amzDateRaw, now.Add(maxClockSkew).Format(amzDateLayout), now.Format(amzDateLayout)))
		}
		if end := p.amzDate.Add(p.expires); now.After(end) {
			return authError(http.StatusForbidden, "InvalidSignatureException",
				fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d sec.)",
					end.Format(amzDateLayout), now.Format(amzDateLayout), now.Format(amzDateLayout), int(p.expires/time.Second)))
		}
		return nil
	}
	switch {
	case p.amzDate.Before(now.Add(-maxClockSkew)):
		return authError(http.StatusForbidden, "InvalidSignatureException",
			fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
				p.amzDateRaw, now.Add(-maxClockSkew).Format(amzDateLayout), now.Format(amzDateLayout)))
	case p.amzDate.After(now.Add(maxClockSkew)):
		return authError(http.StatusForbidden, "InvalidSignatureException",
			fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
				p.amzDateRaw, now.Add(maxClockSkew).Format(amzDateLayout), now.Format(amzDateLayout)))
	}
	return nil
}

// parseSignature reads the signature from the Authorization header or, when
// there is none, from the X-Amz-* query parameters of a presigned request.
func parseSignature(r *http.Request) (sigParams, *apiError) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		return parseAuthorization(r, auth)
	}
	if r.URL.Query().Has("X-Amz-Signature") || r.URL.Query().Has("X-Amz-Credential") {
		return parsePresigned(r)
	}
	return sigParams{}, errMissingToken()
}

func parseAuthorization(r *http.Request, auth string) (sigParams, *apiError) {
	var p sigParams
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != sigV4Algorithm {
		return p, errIncomplete(fmt.Sprintf("Authorization header requires the %s algorithm, got '%s'.", sigV4Algorithm, alg))
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			fields[k] = val
		}
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return p, errIncomplete(fmt.Sprintf("Authorization header requires '%s' parameter. Authorization=%s", k, auth))
		}
	}
	if aerr := p.setCredential(fields["Credential"]); aerr != nil {
		return p, aerr
	}
	p.signedHeaders = strings.Split(fields["SignedHeaders"], ";")
	p.signature = fields["Signature"]
	raw := r.Header.Get("X-Amz-Date")
	if raw == "" {
		return p, errIncomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if aerr := p.setDate(raw); aerr != nil {
		return p, aerr
	}
	if !slices.Contains(p.signedHeaders, "host") {
		return p, errIncomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return p, nil
}

func parsePresigned(r *http.Request) (sigParams, *apiError) {
	q := r.URL.Query()
	p := sigParams{presigned: true}
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Expires"} {
		if q.Get(k) == "" {
			return p, errIncomplete(fmt.Sprintf("AWS query-string parameters must include '%s'.", k))
		}
	}
	if q.Get("X-Amz-Algorithm") != sigV4Algorithm {
		return p, errIncomplete(fmt.Sprintf("X-Amz-Algorithm must be %s.", sigV4Algorithm))
	}
	if aerr := p.setCredential(q.Get("X-Amz-Credential")); aerr != nil {
		return p, aerr
	}
	if aerr := p.setDate(q.Get("X-Amz-Date")); aerr != nil {
		return p, aerr
	}
	secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignExpiry {
		return p, errIncomplete("X-Amz-Expires must be a whole number of seconds from 1 to 604800.")
	}
	p.expires = time.Duration(secs) * time.Second
	p.signedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	p.signature = q.Get("X-Amz-Signature")
	return p, nil
}

// setCredential parses AKID/yyyymmdd/region/service/aws4_request.
func (p *sigParams) setCredential(cred string) *apiError {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return errIncomplete(fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", cred))
	}
	p.accessKey, p.date, p.region, p.service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

func (p *sigParams) setDate(raw string) *apiError {
	t, err := time.Parse(amzDateLayout, raw)
	if err != nil {
		return errIncomplete(fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", raw))
	}
	p.amzDate, p.amzDateRaw = t, raw
	return nil
}

// canonicalRequest builds SigV4's canonical request: method, the path as
// sent percent-encoded once more (every AWS service but S3 signs the
// doubly-encoded path), the sorted canonical query, the signed headers and
// the payload hash.
func canonicalRequest(r *http.Request, p sigParams, payload []byte) string {
	rawPath, rawQuery := r.RequestURI, ""
	if rawPath == "" {
		rawPath = r.URL.RequestURI()
	}
	if i := strings.IndexByte(rawPath, '?'); i >= 0 {
		rawPath, rawQuery = rawPath[:i], rawPath[i+1:]
	}
	if rawPath == "" {
		rawPath = "/"
	}
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(uriEncode(rawPath, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(rawQuery, p.presigned))
	b.WriteByte('\n')
	for _, h := range p.signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(p.signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash(r, payload, p.presigned))
	return b.String()
}

// payloadHash is X-Amz-Content-Sha256 when the client sent it (it is then
// itself signed), else the SHA-256 of the body.
func payloadHash(r *http.Request, payload []byte, presigned bool) string {
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		return h
	}
	if presigned && len(payload) == 0 {
		// A presigned URL is signed before any body exists; botocore signs
		// the empty payload's hash.
		return hashHex(nil)
	}
	return hashHex(payload)
}

// canonicalQuery decodes each name=value pair, re-encodes it with SigV4's
// strict encoding and sorts by name, then value. A presigned request leaves
// out its own signature.
func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = unescapeLenient(k), unescapeLenient(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, kv{uriEncode(k, true), uriEncode(v, true)})
	}
	slices.SortFunc(pairs, func(a, b kv) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// unescapeLenient percent-decodes s, keeping a malformed escape as it is
// (the signature then simply fails to match). '+' stays '+': SigV4
// clients encode a space as %20.
func unescapeLenient(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if hi, lo := unhex(s[i+1]), unhex(s[i+2]); hi >= 0 && lo >= 0 {
				b.WriteByte(byte(hi<<4 | lo))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// uriEncode percent-encodes every byte but the unreserved characters
// A-Z a-z 0-9 - _ . ~ (and '/' unless encodeSlash), in upper-case hex.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// canonicalHeaderValue joins the values of header h with commas, each
// trimmed and with runs of spaces collapsed to one.
func canonicalHeaderValue(r *http.Request, h string) string {
	var vals []string
	switch h {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values(h)
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = r.Header.Values(h)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

func stringToSign(p sigParams, creq string) string {
	return sigV4Algorithm + "\n" + p.amzDateRaw + "\n" + p.scope() + "\n" + hashHex([]byte(creq))
}

func (p sigParams) scope() string {
	return p.date + "/" + p.region + "/" + p.service + "/aws4_request"
}

// signature derives the signing key from the secret and the credential
// scope (HMAC chain date → region → service → "aws4_request") and signs sts.
func signature(secret string, p sigParams, sts string) string {
	k := hmacSHA256([]byte("AWS4"+secret), p.date)
	k = hmacSHA256(k, p.region)
	k = hmacSHA256(k, p.service)
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, sts))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
