package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// Errors of the body-HMAC scheme.
var (
	ErrBodyHMACPrefix   = errors.New("the signature header does not start with the configured prefix")
	ErrBodyHMACEncoding = errors.New("the signature is not in the configured encoding")
)

// BodyHMAC is the scheme of vendors that put an HMAC of the raw body in a
// header: the hash, how the MAC is written, and a fixed prefix before it
// (such as "sha256=").
type BodyHMAC struct {
	hash     func() hash.Hash
	sha256   bool // hash is SHA-256: Match can use the secrets' keyed hashes
	encoding string
	prefix   string
}

// NewBodyHMAC checks the settings and returns the scheme. algorithm is
// sha256, sha512 or sha1; encoding is hex, base64 or base64url. Anything
// else is refused, never guessed.
func NewBodyHMAC(algorithm, encoding, prefix string) (*BodyHMAC, error) {
	b := &BodyHMAC{encoding: encoding, prefix: prefix}
	switch algorithm {
	case "sha256":
		b.hash, b.sha256 = sha256.New, true
	case "sha512":
		b.hash = sha512.New
	case "sha1":
		b.hash = sha1.New
	default:
		return nil, fmt.Errorf("unknown HMAC algorithm %q (sha256, sha512, sha1)", algorithm)
	}
	switch encoding {
	case "hex", "base64", "base64url":
	default:
		return nil, fmt.Errorf("unknown signature encoding %q (hex, base64, base64url)", encoding)
	}
	return b, nil
}

// MAC returns the raw HMAC of body under key.
func (b *BodyHMAC) MAC(key, body []byte) []byte {
	m := hmac.New(b.hash, key)
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the header value a sender writes for body: prefix and the
// encoded HMAC.
func (b *BodyHMAC) Sign(key, body []byte) string {
	mac := b.MAC(key, body)
	switch b.encoding {
	case "base64":
		return b.prefix + base64.StdEncoding.EncodeToString(mac)
	case "base64url":
		return b.prefix + base64.URLEncoding.EncodeToString(mac)
	}
	return b.prefix + hex.EncodeToString(mac)
}

// Decode reads the MAC from a header value: the prefix, then the MAC in the
// configured encoding. Hex is read in either case; base64 with or without
// padding.
func (b *BodyHMAC) Decode(value string) ([]byte, error) {
	value = strings.TrimSpace(value)
	if !strings.HasPrefix(value, b.prefix) {
		return nil, ErrBodyHMACPrefix
	}
	value = value[len(b.prefix):]
	var mac []byte
	var err error
	switch b.encoding {
	case "base64":
		mac, err = base64.RawStdEncoding.Strict().DecodeString(strings.TrimRight(value, "="))
	case "base64url":
		mac, err = base64.RawURLEncoding.Strict().DecodeString(strings.TrimRight(value, "="))
	default:
		mac, err = hex.DecodeString(value)
	}
	if err != nil || len(mac) == 0 {
		return nil, ErrBodyHMACEncoding
	}
	return mac, nil
}

// Verify checks the header value against body under every secret; any one
// verifies: Decode, then Match.
func (b *BodyHMAC) Verify(value string, body []byte, secrets Secrets) error {
	mac, err := b.Decode(value)
	if err != nil {
		return err
	}
	return b.Match(mac, body, secrets)
}

// Match checks a MAC that Decode read against body under every secret; any
// one verifies. Every secret is tried, in constant time each. SHA-256, the
// common case, reuses each secret's keyed hash instead of keying a new one.
func (b *BodyHMAC) Match(mac, body []byte, secrets Secrets) error {
	ok := false
	var buf [sha512.Size]byte
	for i := range secrets {
		var sum []byte
		if b.sha256 {
			sum = secrets[i].sumHMACSHA256(buf[:0], body)
		} else {
			m := hmac.New(b.hash, secrets[i].key)
			m.Write(body)
			sum = m.Sum(buf[:0])
		}
		if hmac.Equal(sum, mac) {
			ok = true
		}
	}
	if !ok {
		return ErrSignatureMismatch
	}
	return nil
}
