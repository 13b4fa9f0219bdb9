package verify

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"hash"
	"strings"
	"sync"
)

// ErrSuffixDigestEncoding: the header is not a hex SHA-256 digest.
var ErrSuffixDigestEncoding = errors.New("the signature is not a hex SHA-256 digest")

// SuffixDigest is the keyed digest SHA-256(body || key): the body as
// received, then a key derived from the secret (the secret itself, or its
// hex SHA-256, as the vendor's scheme says), hashed together. It is not an
// HMAC. With the key last, SHA-256 length extension does not apply: from
// the digest of body || key anyone can compute the digest of
// body || key || padding || more, but that is not body' || key for any
// body' they could send without knowing the key. What it rests on instead
// is SHA-256's collision resistance (two bodies of one digest would share
// every key's digest), which HMAC does not need.
type SuffixDigest struct {
	keys    Secrets
	hashers *sync.Pool // of *suffixHashers, reused across requests
}

// suffixHashers are the hashes one Match uses: the body's, and, with more
// than one key, one to continue it per key from its saved state.
type suffixHashers struct {
	body, key hash.Hash
	state     []byte
	sum       [sha256.Size]byte
}

// NewSuffixDigest returns the verifier for keys, more than one while
// rotating. At least one is required.
func NewSuffixDigest(keys Secrets) (*SuffixDigest, error) {
	if len(keys) == 0 {
		return nil, errors.New("suffix digest: no key")
	}
	pool := &sync.Pool{New: func() any { return &suffixHashers{body: sha256.New(), key: sha256.New()} }}
	return &SuffixDigest{keys: keys, hashers: pool}, nil
}

// SignSuffixDigest returns the hex SHA-256(body || key), the value a
// sender writes.
func SignSuffixDigest(body, key []byte) string {
	h := sha256.New()
	h.Write(body)
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil))
}

// DecodeHexDigest decodes a hex SHA-256 digest, in either case and with
// surrounding whitespace ignored, into dst.
func DecodeHexDigest(s string, dst *[sha256.Size]byte) bool {
	return decodeHex32(dst, strings.TrimSpace(s))
}

// Verify checks value, a hex SHA-256 digest, against body under every key.
func (d *SuffixDigest) Verify(value string, body []byte) error {
	var got [sha256.Size]byte
	if !DecodeHexDigest(value, &got) {
		return ErrSuffixDigestEncoding
	}
	match, err := d.Match(body, got[:])
	switch {
	case err != nil:
		return err
	case !match:
		return ErrSignatureMismatch
	}
	return nil
}

// Match reports whether got is SHA-256(body || key) for one of the keys.
// The body is hashed once and each key continues from that state; every
// key is tried and compared in constant time. The hashes are reused, so a
// match allocates nothing.
func (d *SuffixDigest) Match(body, got []byte) (bool, error) {
	hs := d.hashers.Get().(*suffixHashers)
	defer d.hashers.Put(hs)
	hs.body.Reset()
	hs.body.Write(body)
	if len(d.keys) == 1 {
		hs.body.Write(d.keys[0].key)
		return Equal(hs.body.Sum(hs.sum[:0]), got), nil
	}
	state, err := hs.body.(encoding.BinaryAppender).AppendBinary(hs.state[:0])
	if err != nil {
		return false, err
	}
	hs.state = state
	match := false
	for i := range d.keys {
		if err := hs.key.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
			return false, err
		}
		hs.key.Write(d.keys[i].key)
		if Equal(hs.key.Sum(hs.sum[:0]), got) {
			match = true
		}
	}
	return match, nil
}
