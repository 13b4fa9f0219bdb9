// Package verify holds the primitives that prove a webhook delivery is genuine:
// constant-time comparisons, RFC 9530 digests, HMACs, timestamped HMAC
// headers (t=...,v1=...), secret-suffix digests and RFC 9421 message
// signatures. It knows nothing of Caddy or of any vendor.
package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"hash"
	"sync"
)

// Secret is one shared secret, kept with the SHA-256 of its bytes so that a
// presented token of any length is compared in constant time.
type Secret struct {
	key    []byte
	digest [sha256.Size]byte
	macs   *sync.Pool // of HMAC-SHA256 hashes keyed with key, reused across requests
}

// NewSecret keeps key for later comparisons.
func NewSecret(key []byte) Secret {
	return Secret{
		key:    key,
		digest: sha256.Sum256(key),
		macs:   &sync.Pool{New: func() any { return &keyedMAC{h: hmac.New(sha256.New, key)} }},
	}
}

// sumHMACSHA256 appends HMAC-SHA256(key, msg) to dst, reusing a keyed hash:
// keying one costs more allocations than hashing a small message.
func (s *Secret) sumHMACSHA256(dst, msg []byte) []byte {
	if s.macs == nil {
		return append(dst, HMACSHA256(s.key, msg)...)
	}
	m := s.macs.Get().(*keyedMAC)
	m.h.Reset()
	m.h.Write(msg)
	dst = append(dst, m.h.Sum(m.sum[:0])...)
	s.macs.Put(m)
	return dst
}

// sumTimedHMAC appends HMAC-SHA256(key, ts || "." || body) to dst, as
// sumHMACSHA256 does, without joining ts and body into one buffer.
func (s *Secret) sumTimedHMAC(dst []byte, ts string, body []byte) []byte {
	if s.macs == nil {
		m := hmac.New(sha256.New, s.key)
		m.Write(append([]byte(ts), '.'))
		m.Write(body)
		return append(dst, m.Sum(nil)...)
	}
	m := s.macs.Get().(*keyedMAC)
	m.h.Reset()
	m.pre = append(append(m.pre[:0], ts...), '.')
	m.h.Write(m.pre)
	m.h.Write(body)
	dst = append(dst, m.h.Sum(m.sum[:0])...)
	s.macs.Put(m)
	return dst
}

// keyedMAC is a keyed hash with room for its sum and for a short prefix
// of the message, so that summing allocates nothing.
type keyedMAC struct {
	h   hash.Hash
	sum [sha256.Size]byte
	pre []byte
}

// Key returns the secret's bytes, for use as an HMAC or cipher key.
func (s Secret) Key() []byte { return s.key }

// Secrets is the set of secrets a route accepts; more than one during a rotation.
type Secrets []Secret

// NewSecrets wraps each key in a Secret.
func NewSecrets(keys [][]byte) Secrets {
	out := make(Secrets, len(keys))
	for i, k := range keys {
		out[i] = NewSecret(k)
	}
	return out
}

// MatchToken reports whether token equals one of the secrets. Both sides are
// hashed first, so neither the token's length nor the position of the first
// differing byte shows in the time taken, and every secret is always tried.
func (ss Secrets) MatchToken(token []byte) bool {
	got := sha256.Sum256(token)
	match := 0
	for i := range ss {
		match |= subtle.ConstantTimeCompare(got[:], ss[i].digest[:])
	}
	return match == 1
}

// Equal compares two values in constant time with respect to their contents.
// Values of different lengths are unequal; only the lengths can show.
func Equal(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// EqualString is Equal for strings, hashing both so that even their lengths
// stay hidden. Use it for configured values such as client ids.
func EqualString(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
