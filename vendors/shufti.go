package vendors

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/biohook/caddy-biohook/verify"
)

func init() {
	caddy.RegisterModule(Shufti{})
}

// Shufti verifies Shufti Pro callbacks (developers.shuftipro.com). The
// Signature header is a keyed digest, not an HMAC: the hex
// SHA-256(raw body || hex SHA-256(secret key)), or, on older accounts and
// some products, SHA-256(raw body || secret key). Both put the secret
// last, so SHA-256 length extension does not apply (see
// verify.SuffixDigest). Nothing signs a time: a captured callback can be
// replayed for as long as the app accepts it; dedupe catches a replay of
// one it has seen.
type Shufti struct {
	// The account's Secret Key. Give it more than once while rotating: any
	// one verifies. Placeholders such as {env.X} and {file./path} are
	// resolved when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	// How the digest is keyed: "hashed_secret", SHA-256(body || hex
	// SHA-256(secret)), Shufti's current construction; or "legacy",
	// SHA-256(body || secret). Default: hashed_secret.
	Digest string `json:"digest,omitempty"`

	digest  *verify.SuffixDigest
	secrets verify.Secrets // as configured, for KeyMaterial
}

// The digest constructions.
const (
	ShuftiDigestHashedSecret = "hashed_secret"
	ShuftiDigestLegacy       = "legacy"
)

// CaddyModule returns the Caddy module information.
func (Shufti) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.shufti",
		New: func() caddy.Module { return new(Shufti) },
	}
}

// Provision resolves the secrets and derives the key each digest ends in.
func (s *Shufti) Provision(caddy.Context) error {
	if s.Digest == "" {
		s.Digest = ShuftiDigestHashedSecret
	}
	if err := s.Validate(); err != nil {
		return err
	}
	secrets, err := ResolveSecrets("shufti secret", s.Secrets)
	if err != nil {
		return err
	}
	s.secrets = secrets
	keys := make([][]byte, len(secrets))
	for i := range secrets {
		keys[i] = ShuftiDigestKey(s.Digest, secrets[i].Key())
	}
	s.digest, err = verify.NewSuffixDigest(verify.NewSecrets(keys))
	return err
}

// ShuftiDigestKey is what the digest appends to the body for construction
// digest: the secret's lower-case hex SHA-256, or the secret itself.
func ShuftiDigestKey(digest string, secret []byte) []byte {
	if digest == ShuftiDigestLegacy {
		return secret
	}
	sum := sha256.Sum256(secret)
	return []byte(hex.EncodeToString(sum[:]))
}

// Validate checks the digest setting.
func (s *Shufti) Validate() error {
	switch s.Digest {
	case ShuftiDigestHashedSecret, ShuftiDigestLegacy:
		return nil
	}
	return fmt.Errorf("shufti digest must be hashed_secret or legacy, not %q", s.Digest)
}

var (
	errShuftiNoSignature = errors.New("no Signature header")
	errShuftiNoEvent     = errors.New("event is missing")
)

// signature returns the one Signature header.
func (s *Shufti) signature(d *Delivery) (string, error) {
	values := d.Request.Header["Signature"]
	switch len(values) {
	case 0:
		return "", Unauthorized("missing_signature", errShuftiNoSignature)
	case 1:
		return values[0], nil
	}
	return "", Unauthorized("duplicate_header", errDuplicateSigHeader)
}

// VerifyHeaders refuses, before the body is read, a Signature header that
// is missing, doubled or not a hex SHA-256 digest.
func (s *Shufti) VerifyHeaders(d *Delivery) error {
	v, err := s.signature(d)
	if err != nil {
		return err
	}
	var digest [sha256.Size]byte
	if !verify.DecodeHexDigest(v, &digest) {
		return Unauthorized("malformed_signature", verify.ErrSuffixDigestEncoding)
	}
	return nil
}

// Verify checks the Signature header's digest of the raw body under every
// configured secret.
func (s *Shufti) Verify(d *Delivery) error {
	v, err := s.signature(d)
	if err != nil {
		return err
	}
	err = s.digest.Verify(v, d.Body)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, verify.ErrSignatureMismatch):
		return Unauthorized("signature_mismatch", err)
	case errors.Is(err, verify.ErrSuffixDigestEncoding):
		return Unauthorized("malformed_signature", err)
	}
	return Unauthorized("unsupported_signature", err)
}

// shuftiPayload is the part of a callback the module reads; the whole of
// it travels in the event's raw field.
type shuftiPayload struct {
	Reference          Text         `json:"reference"`
	Event              Text         `json:"event"`
	Email              Text         `json:"email"`
	VerificationResult shuftiResult `json:"verification_result"`
	DeclinedReason     Text         `json:"declined_reason"`
}

// shuftiResult is verification_result: per-service results of 1 (passed),
// 0 (failed) or null (not checked). Shufti sends an empty array or a
// string in its place on some events: anything but an object reads as
// no results.
type shuftiResult struct {
	Face Text `json:"face"`
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom.
func (r *shuftiResult) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() != '{' {
		*r = shuftiResult{}
		return dec.SkipValue()
	}
	type plain shuftiResult
	return json.UnmarshalDecode(dec, (*plain)(r))
}

// shuftiEvents maps Shufti's event names to the common kind, outcome and type.
var shuftiEvents = map[Text]struct {
	kind    Kind
	outcome Outcome
	typ     string
}{
	"verification.accepted":       {KindVerification, OutcomeApproved, TypeIdentityVerification},
	"verification.declined":       {KindVerification, OutcomeRejected, TypeIdentityVerification},
	"verification.status.changed": {KindVerification, OutcomePending, TypeIdentityVerification},
	"verification.cancelled":      {KindVerification, OutcomeNone, TypeIdentityVerification},
	"request.pending":             {KindVerification, OutcomePending, TypeIdentityVerification},
	"request.received":            {KindVerification, OutcomePending, TypeIdentityVerification},
	"review.pending":              {KindVerification, OutcomePending, TypeIdentityVerification},
	"request.timeout":             {KindVerification, OutcomeNone, TypeIdentityVerification},
	"request.deleted":             {KindDeletion, OutcomeNone, TypeIdentityDeletion},
}

// Normalize maps the callback. Shufti sends no event id and no time: the
// id is a digest of the body (which holds the reference and the event), so
// that a retry, which repeats the body, has the same id.
func (s *Shufti) Normalize(d *Delivery) (*Event, error) {
	var p shuftiPayload
	if err := json.Unmarshal(d.Body, &p); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if p.Event == "" {
		return nil, BadPayload("invalid_payload", errShuftiNoEvent)
	}
	ev := NewEvent("shufti", string(p.Event), d.Body)
	ev.ID = DerivedID("shufti", d.Body)
	if m, ok := shuftiEvents[p.Event]; ok {
		ev.Type, ev.Data.Kind, ev.Data.Outcome = m.typ, m.kind, m.outcome
	} else { // request.invalid, request.unauthorized, and events Shufti adds
		ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeVendorEvent, KindOther, OutcomeNone
	}
	if p.Reference != "" || p.Email != "" {
		ev.Data.User = &User{ExternalID: string(p.Reference), Email: string(p.Email)}
		ev.Subject = string(p.Reference)
	}
	if face, ok := shuftiFlag(p.VerificationResult.Face); ok {
		ev.Data.Signals = &Signals{FaceMatch: &face}
	}
	if p.DeclinedReason != "" {
		ev.Data.Error = &EventError{Message: string(p.DeclinedReason)}
	}
	return ev, nil
}

// shuftiFlag reads a result: 1 passed, 0 failed, anything else unknown.
func shuftiFlag(v Text) (flag, ok bool) {
	switch v {
	case "1":
		return true, true
	case "0":
		return false, true
	}
	return false, false
}

// CredentialHeaders names the signature header.
func (s *Shufti) CredentialHeaders() []string { return []string{"Signature"} }

// Acknowledge answers exactly 200 when the upstream accepted the event
// with another 2xx: Shufti stops only on a 200 and otherwise sends the
// callback again, ten times 15 s apart. A 200 and every non-2xx pass
// unchanged.
func (s *Shufti) Acknowledge(status int, _ http.Header) (Answer, bool) {
	if status >= 200 && status < 300 && status != http.StatusOK {
		return Answer{Status: http.StatusOK}, true
	}
	return Answer{}, false
}

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	shufti {
//		secret <secret key>            # repeatable, for rotation
//		digest hashed_secret|legacy    # default hashed_secret
//	}
func (s *Shufti) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "secret":
			err = ParseRepeated(d, &s.Secrets)
		case "digest":
			s.Digest, err = authenteqChoice(d, ShuftiDigestHashedSecret, ShuftiDigestLegacy)
		default:
			return d.Errf("unknown shufti option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Interface guards
var (
	_ HeaderVerifier        = (*Shufti)(nil)
	_ Vendor                = (*Shufti)(nil)
	_ CredentialHeaderer    = (*Shufti)(nil)
	_ Acknowledger          = (*Shufti)(nil)
	_ caddy.Provisioner     = (*Shufti)(nil)
	_ caddy.Validator       = (*Shufti)(nil)
	_ caddyfile.Unmarshaler = (*Shufti)(nil)
)
