package verify

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"

	"github.com/dunglas/httpsfv"
)

// digestAlgorithms are the RFC 9530 algorithms accepted; the insecure ones the
// registry also lists (md5, sha, unixsum, unixcksum, adler, crc32c) never prove
// anything and are ignored.
var digestAlgorithms = map[string]func([]byte) []byte{
	"sha-256": func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
	"sha-512": func(b []byte) []byte { s := sha512.Sum512(b); return s[:] },
}

// CheckContentDigest checks the Content-Digest field values against body, the
// exact bytes received. Every supported algorithm present must match, and at
// least one must be present.
func CheckContentDigest(fieldValues []string, body []byte) error {
	if len(fieldValues) == 0 {
		return ErrDigestMissing
	}
	if m, ok := singleByteSeq(fieldValues); ok {
		return checkDigest(m.key, m.value, body)
	}
	dict, err := httpsfv.UnmarshalDictionary(fieldValues)
	if err != nil {
		return ErrDigestMalformed
	}
	checked := 0
	for _, alg := range dict.Names() {
		sum, ok := digestAlgorithms[alg]
		if !ok {
			continue
		}
		member, _ := dict.Get(alg)
		item, ok := member.(httpsfv.Item)
		if !ok {
			return ErrDigestMalformed
		}
		got, ok := item.Value.([]byte)
		if !ok {
			return ErrDigestMalformed
		}
		if !Equal(sum(body), got) {
			return ErrDigestMismatch
		}
		checked++
	}
	if checked == 0 {
		return ErrDigestUnsupported
	}
	return nil
}

// checkDigest checks a field of one member, alg=:digest:, hashing into
// arrays on the stack.
func checkDigest(alg string, digest, body []byte) error {
	var match bool
	switch alg {
	case "sha-256":
		sum := sha256.Sum256(body)
		match = Equal(sum[:], digest)
	case "sha-512":
		sum := sha512.Sum512(body)
		match = Equal(sum[:], digest)
	default:
		return ErrDigestUnsupported
	}
	if !match {
		return ErrDigestMismatch
	}
	return nil
}

// ContentDigest returns a Content-Digest field value for body with the given
// algorithm ("sha-256" or "sha-512"), as a sender writes it.
func ContentDigest(alg string, body []byte) string {
	sum, ok := digestAlgorithms[alg]
	if !ok {
		panic("verify: unsupported digest algorithm " + alg)
	}
	return alg + "=:" + base64.StdEncoding.EncodeToString(sum(body)) + ":"
}
