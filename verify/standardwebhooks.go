package verify

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Errors of the Standard Webhooks scheme (standardwebhooks.com). Like the
// others, none carries a key or an expected value.
var (
	ErrSWMissing     = errors.New("webhook-id, webhook-timestamp or webhook-signature is missing")
	ErrSWTimestamp   = errors.New("webhook-timestamp is not an integer number of seconds")
	ErrSWID          = errors.New("webhook-id is empty, too long or contains a full stop")
	ErrSWNoSupported = errors.New("webhook-signature holds no v1 or v1a signature")
	ErrSWMalformed   = errors.New("webhook-signature is not a space-separated list of version,base64 signatures")
	ErrSWKey         = errors.New("a Standard Webhooks key is not whsec_/whpk_/whsk_ followed by base64 of the right size")
)

// Standard Webhooks limits: the spec gives secrets 24 to 64 bytes; signatures
// beyond swMaxSignatures in one header are not looked at.
const (
	swMinSecret     = 24
	swMaxSecret     = 64
	swMaxSignatures = 16
	swMaxID         = 256
)

// SWSignature is one entry of a webhook-signature header.
type SWSignature struct {
	Version string // "v1" (HMAC-SHA256), "v1a" (ed25519), or another, ignored
	Sig     []byte
}

// ParseSWSignatures reads a webhook-signature value: signatures separated by
// spaces, each "<version>,<base64>". An entry of an unknown version is kept
// with its raw bytes undecoded (Sig nil) so the caller can ignore it; a
// malformed v1 or v1a entry fails the whole header.
func ParseSWSignatures(value string) ([]SWSignature, error) {
	fields := strings.Fields(value)
	if len(fields) == 0 {
		return nil, ErrSWMalformed
	}
	if len(fields) > swMaxSignatures {
		fields = fields[:swMaxSignatures]
	}
	out := make([]SWSignature, 0, len(fields))
	for _, f := range fields {
		version, encoded, ok := strings.Cut(f, ",")
		if !ok || version == "" {
			return nil, ErrSWMalformed
		}
		if version != "v1" && version != "v1a" {
			out = append(out, SWSignature{Version: version})
			continue
		}
		sig, err := base64.StdEncoding.Strict().DecodeString(encoded)
		if err != nil || len(sig) == 0 {
			return nil, ErrSWMalformed
		}
		out = append(out, SWSignature{Version: version, Sig: sig})
	}
	return out, nil
}

// ParseSWSecret decodes a symmetric secret as Standard Webhooks serialises
// it: "whsec_" (optional, as the reference libraries accept) and base64 of
// 24 to 64 random bytes.
func ParseSWSecret(s string) ([]byte, error) {
	return decodeSWKey(strings.TrimPrefix(s, "whsec_"), swMinSecret, swMaxSecret)
}

// ParseSWPublicKey decodes "whpk_<base64>", an ed25519 public key.
func ParseSWPublicKey(s string) (ed25519.PublicKey, error) {
	b, err := decodeSWKey(strings.TrimPrefix(s, "whpk_"), ed25519.PublicKeySize, ed25519.PublicKeySize)
	return ed25519.PublicKey(b), err
}

// ParseSWPrivateKey decodes "whsk_<base64>", an ed25519 seed (32 bytes) or
// private key (64 bytes): only senders and the tools that act as one use it.
func ParseSWPrivateKey(s string) (ed25519.PrivateKey, error) {
	b, err := decodeSWKey(strings.TrimPrefix(s, "whsk_"), ed25519.SeedSize, ed25519.PrivateKeySize)
	if err != nil {
		return nil, err
	}
	switch len(b) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(b), nil
	}
	return nil, ErrSWKey
}

func decodeSWKey(s string, min, max int) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) < min || len(b) > max {
		return nil, ErrSWKey
	}
	return b, nil
}

// SWContent is what Standard Webhooks signs: "<id>.<timestamp>.<body>".
func SWContent(id, timestamp string, body []byte) []byte {
	b := make([]byte, 0, len(id)+len(timestamp)+2+len(body))
	b = append(b, id...)
	b = append(b, '.')
	b = append(b, timestamp...)
	b = append(b, '.')
	return append(b, body...)
}

// SWHeaders are the three headers of a Standard Webhooks delivery.
type SWHeaders struct {
	ID, Timestamp, Signature string
}

// SWSigner signs as a Standard Webhooks sender does: one v1 signature per
// secret and one v1a signature per private key, space-separated, so a
// receiver in the middle of a rotation finds the one it knows.
type SWSigner struct {
	Secrets     [][]byte
	PrivateKeys []ed25519.PrivateKey
}

// Sign returns the headers for body, sent as id at time at.
func (s SWSigner) Sign(id string, at time.Time, body []byte) SWHeaders {
	ts := strconv.FormatInt(at.Unix(), 10)
	content := SWContent(id, ts, body)
	var sigs []string
	for _, k := range s.Secrets {
		m := hmac.New(sha256.New, k)
		m.Write(content)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	for _, k := range s.PrivateKeys {
		sigs = append(sigs, "v1a,"+base64.StdEncoding.EncodeToString(ed25519.Sign(k, content)))
	}
	return SWHeaders{ID: id, Timestamp: ts, Signature: strings.Join(sigs, " ")}
}

// SWVerifier checks Standard Webhooks deliveries against trusted secrets
// (v1) and public keys (v1a), with a two-sided tolerance on the timestamp.
type SWVerifier struct {
	Secrets    Secrets
	PublicKeys []ed25519.PublicKey
	Tolerance  time.Duration
}

// Verify checks h and body: CheckHeaders, then Match.
func (v SWVerifier) Verify(h SWHeaders, body []byte, now time.Time) error {
	sigs, err := v.CheckHeaders(h, now)
	if err != nil {
		return err
	}
	return v.Match(h, sigs, body)
}

// CheckHeaders checks all that needs neither a key nor the body: the id,
// the timestamp within the tolerance of now, and the signatures' form, of
// which at least one must be of a supported version. It returns the
// signatures for Match. A receiver calls it before reading the body, so
// that a request that cannot be genuine costs no body read; a forged
// request outside the window is therefore reported as stale, not as a
// forgery.
func (v SWVerifier) CheckHeaders(h SWHeaders, now time.Time) ([]SWSignature, error) {
	if h.ID == "" || h.Timestamp == "" || h.Signature == "" {
		return nil, ErrSWMissing
	}
	if len(h.ID) > swMaxID || strings.Contains(h.ID, ".") {
		return nil, ErrSWID
	}
	sec, err := parseSWTimestamp(h.Timestamp)
	if err != nil {
		return nil, err
	}
	sigs, err := ParseSWSignatures(h.Signature)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(sigs, func(s SWSignature) bool { return s.Sig != nil }) {
		return nil, ErrSWNoSupported
	}
	if err := checkSWTime(time.Unix(sec, 0), now, v.Tolerance); err != nil {
		return nil, err
	}
	return sigs, nil
}

// Match checks the signatures CheckHeaders returned against the id, the
// timestamp and the body.
func (v SWVerifier) Match(h SWHeaders, sigs []SWSignature, body []byte) error {
	return v.match(sigs, SWContent(h.ID, h.Timestamp, body))
}

func parseSWTimestamp(s string) (int64, error) {
	if len(s) > 12 || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		return 0, ErrSWTimestamp
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, ErrSWTimestamp
	}
	return sec, nil
}

// match reports whether any supported signature verifies under any trusted
// key. Every pair is tried, so the time taken does not say which matched.
func (v SWVerifier) match(sigs []SWSignature, content []byte) error {
	supported, ok := false, false
	for _, s := range sigs {
		switch s.Version {
		case "v1":
			supported = true
			for i := range v.Secrets {
				if hmac.Equal(HMACSHA256(v.Secrets[i].key, content), s.Sig) {
					ok = true
				}
			}
		case "v1a":
			supported = true
			for _, pk := range v.PublicKeys {
				if len(s.Sig) == ed25519.SignatureSize && ed25519.Verify(pk, content, s.Sig) {
					ok = true
				}
			}
		}
	}
	switch {
	case ok:
		return nil
	case !supported:
		return ErrSWNoSupported
	}
	return ErrSignatureMismatch
}

func checkSWTime(sent, now time.Time, tolerance time.Duration) error {
	switch {
	case sent.Before(now.Add(-tolerance)):
		return ErrSignatureStale
	case sent.After(now.Add(tolerance)):
		return ErrSignatureFuture
	}
	return nil
}
