package vendors

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/biohook/caddy-biohook/verify"
)

// DefaultTimedMaxSkew is the default window of the vendors that sign a
// t=<unix>,v1=<hex> header: how far t may be from this server's clock,
// either way. Stripe's own libraries allow 300 s; Persona documents none.
const DefaultTimedMaxSkew = 5 * time.Minute

// timedHMACCheck is what the vendors that sign a t=<unix>,v1=<hex> header
// share: the header's name and the verifier built from the route's
// secrets and window.
type timedHMACCheck struct {
	header   string // canonical
	verifier *verify.TimedHMAC
	secrets  verify.Secrets // for KeyMaterial
}

// newTimedHMACCheck resolves the secrets (used as their bytes are, never
// decoded) and builds the verifier.
func newTimedHMACCheck(vendor, header string, secrets []string, maxSkew caddy.Duration) (timedHMACCheck, error) {
	if maxSkew <= 0 {
		return timedHMACCheck{}, fmt.Errorf("%s max_skew must be positive", vendor)
	}
	ss, err := ResolveSecrets(vendor+" secret", secrets)
	if err != nil {
		return timedHMACCheck{}, err
	}
	v, err := verify.NewTimedHMAC(ss, time.Duration(maxSkew))
	if err != nil {
		return timedHMACCheck{}, fmt.Errorf("%s: %w", vendor, err)
	}
	return timedHMACCheck{header: http.CanonicalHeaderKey(header), verifier: v, secrets: ss}, nil
}

var errTimedNoHeader = errors.New("no signature header")

// value returns the one signature header.
func (c *timedHMACCheck) value(d *Delivery) (string, error) {
	values := d.Request.Header[c.header]
	switch len(values) {
	case 0:
		return "", Unauthorized("missing_signature", errTimedNoHeader)
	case 1:
		return values[0], nil
	}
	return "", Unauthorized("duplicate_header", errDuplicateSigHeader)
}

// verifyHead refuses, before the body is read, a header that is missing,
// doubled, malformed, or whose every t is out of the window.
func (c *timedHMACCheck) verifyHead(d *Delivery) error {
	v, err := c.value(d)
	if err != nil {
		return err
	}
	return timedRejection(c.verifier.CheckHead(v, d.Received))
}

// verify checks the one signature header over the raw body, as of the
// time the delivery was received.
func (c *timedHMACCheck) verify(d *Delivery) error {
	v, err := c.value(d)
	if err != nil {
		return err
	}
	return timedRejection(c.verifier.Verify(v, d.Body, d.Received))
}

// timedRejection gives each way the header can fail a reason of its own.
func timedRejection(err error) error {
	if err == nil {
		return nil
	}
	for _, r := range timedReasons {
		if errors.Is(err, r.err) {
			return Unauthorized(r.code, err)
		}
	}
	return Unauthorized("malformed_signature", err)
}

var timedReasons = []struct {
	err  error
	code string
}{
	{verify.ErrSignatureMismatch, "signature_mismatch"},
	{verify.ErrSignatureStale, "stale_signature"},
	{verify.ErrSignatureFuture, "signature_in_future"},
	{verify.ErrTimedMalformed, "malformed_signature"},
	{verify.ErrTimedTimestamp, "malformed_timestamp"},
	{verify.ErrTimedTimestampRange, "timestamp_out_of_range"},
	{verify.ErrTimedNoTimestamp, "missing_timestamp"},
	{verify.ErrTimedTwoTimestamps, "duplicate_timestamp"},
	{verify.ErrTimedEmptySignature, "empty_signature"},
	{verify.ErrTimedSignatureEncoding, "signature_not_hex"},
	{verify.ErrTimedNoSignature, "unsupported_signature"},
	{verify.ErrTimedTooMany, "too_many_signatures"},
}

// unixTime writes Unix seconds as RFC 3339 in UTC, or "" for a value that
// is not a whole number of seconds from 1970 to 9999.
func unixTime(s Text) string {
	var n int64
	if s == "" || len(s) > 12 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return ""
		}
		n = n*10 + int64(s[i]-'0')
	}
	if n > 253402300799 {
		return ""
	}
	return time.Unix(n, 0).UTC().Format(time.RFC3339)
}
