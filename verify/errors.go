package verify

import "errors"

// Errors returned by the verifiers. Each names a reason a delivery failed,
// never a key or an expected value, so it is safe to log and to answer with.
var (
	ErrDigestMissing      = errors.New("no Content-Digest header")
	ErrDigestMalformed    = errors.New("Content-Digest is not a structured-field dictionary of byte sequences")
	ErrDigestUnsupported  = errors.New("Content-Digest names no supported algorithm (sha-256, sha-512)")
	ErrDigestMismatch     = errors.New("Content-Digest does not match the body")
	ErrSignatureMissing   = errors.New("no Signature or Signature-Input header")
	ErrSignatureLabel     = errors.New("Signature-Input has no member with the expected label")
	ErrSignatureMalformed = errors.New("Signature or Signature-Input is malformed")
	ErrSignatureProfile   = errors.New("Signature-Input does not cover the required components")
	ErrSignatureAlgorithm = errors.New("Signature-Input names an unsupported algorithm")
	ErrSignatureMismatch  = errors.New("signature does not match")
	ErrSignatureStale     = errors.New("signature is outside the allowed time window")
	ErrSignatureFuture    = errors.New("signature was created in the future")
	ErrCreatedMissing     = errors.New("Signature-Input has no created parameter")
	ErrComponentMissing   = errors.New("a covered component is absent from the request")
	ErrComponentUnknown   = errors.New("a covered component is not supported")
)
