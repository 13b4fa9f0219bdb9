package vendors

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/biohook/caddy-biohook/verify"
)

// bodySignature is the proof shared by every vendor that puts an HMAC of the
// raw body in one header (the generic hmac vendor, Veriff, Onfido, iDenfy,
// MetaMap, Sumsub, Didit): the header, the scheme (hash, encoding, prefix)
// and the secrets. It is built once, in Provision.
type bodySignature struct {
	header  string // canonical, so that a request's header map is read directly
	scheme  *verify.BodyHMAC
	secrets verify.Secrets
}

// newBodySignature checks the scheme and resolves the secrets; what names the
// vendor in errors, short whether secrets under 16 bytes may load. No header, an unknown algorithm or encoding, or no
// secret is refused: a route that checks nothing must not start.
func newBodySignature(what, header, algorithm, encoding, prefix string, secrets []string, short ShortSecrets) (bodySignature, error) {
	if header == "" {
		return bodySignature{}, fmt.Errorf("%s: no signature header", what)
	}
	scheme, err := verify.NewBodyHMAC(algorithm, encoding, prefix)
	if err != nil {
		return bodySignature{}, fmt.Errorf("%s: %w", what, err)
	}
	keys, err := ResolveSecretsShort(what+" secret", secrets, short)
	if err != nil {
		return bodySignature{}, err
	}
	return bodySignature{header: http.CanonicalHeaderKey(header), scheme: scheme, secrets: keys}, nil
}

// bodyMAC is what bodySignature.VerifyHeaders leaves in the delivery's
// Scratch: the MAC read from the header, for Verify to match against the body.
type bodyMAC []byte

var errDuplicateHMACHeader = errors.New("the signature header appears more than once")

// VerifyHeaders is the check that needs no body: the signature header is
// there exactly once and reads as a MAC in the configured prefix and
// encoding. It leaves the MAC in d.Scratch.
func (s *bodySignature) VerifyHeaders(d *Delivery) error {
	values := d.Request.Header[s.header]
	switch {
	case len(values) == 0:
		return Unauthorized("missing_signature", verify.ErrSignatureMissing)
	case len(values) > 1:
		return Unauthorized("duplicate_header", errDuplicateHMACHeader)
	}
	mac, err := s.scheme.Decode(values[0])
	if err != nil {
		return Unauthorized("malformed_signature", err)
	}
	d.Scratch = bodyMAC(mac)
	return nil
}

// Verify matches the MAC against the raw body under every secret, after
// VerifyHeaders unless it has run on d already.
func (s *bodySignature) Verify(d *Delivery) error {
	mac, ok := d.Scratch.(bodyMAC)
	if !ok {
		if err := s.VerifyHeaders(d); err != nil {
			return err
		}
		mac = d.Scratch.(bodyMAC)
	}
	if err := s.scheme.Match(mac, d.Body, s.secrets); err != nil {
		return Unauthorized("signature_mismatch", err)
	}
	return nil
}

// headerChecked reports whether VerifyHeaders has passed on d, so that a
// vendor's Verify runs its own head checks only once.
func headerChecked(d *Delivery) bool {
	_, ok := d.Scratch.(bodyMAC)
	return ok
}

// CredentialHeaders names the signature header.
func (s *bodySignature) CredentialHeaders() []string { return []string{s.header} }

// oneHeader returns the single value of a canonical header name: "" and
// false when it is absent, a duplicate_header rejection when it is repeated.
func oneHeader(h http.Header, name string) (string, bool, error) {
	values := h[name]
	switch len(values) {
	case 0:
		return "", false, nil
	case 1:
		return values[0], true, nil
	}
	return "", false, Unauthorized("duplicate_header", fmt.Errorf("%s appears more than once", name))
}

// registerSource makes vendor's CloudEvents source once, at init, so that
// events do not build it each time.
func registerSource(vendor string) { builtinSources[vendor] = "urn:biohook:" + vendor }

// fieldsID is the event id of a vendor that sends none but whose payload
// names the event: a digest of the vendor and the fields, each
// length-prefixed so that no two field lists share one. A retry, and a
// re-send of the same event with other bytes around it, get the same id.
func fieldsID(vendor string, fields ...string) string {
	h := sha256.New()
	var n [8]byte
	write := func(f string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	write(vendor)
	for _, f := range fields {
		write(f)
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// flexTime reads a payload time: RFC 3339 text, or Unix seconds
// (milliseconds above 10^11) as a number or a string of digits. Anything
// else is left out rather than guessed.
func flexTime(s string) string {
	if s == "" {
		return ""
	}
	if c := s[0]; c >= '0' && c <= '9' && !strings.ContainsAny(s, "-:T") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil { // whole seconds or milliseconds, exactly
			if n > 1e15 {
				return ""
			}
			if n > 1e11 {
				return time.UnixMilli(n).UTC().Format(time.RFC3339Nano)
			}
			return time.Unix(n, 0).UTC().Format(time.RFC3339Nano)
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || !(n >= 0 && n <= 1e11) { // fractional seconds; NaN too
			return ""
		}
		sec := int64(n)
		return time.Unix(sec, int64((n-float64(sec))*1e9)).Round(time.Microsecond).UTC().Format(time.RFC3339Nano)
	}
	return normalTime(s)
}

// resourceHref keeps a vendor's object URL when it is an absolute http(s)
// URL, as the event schema requires; anything else stays in raw only.
func resourceHref(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return s
}

// joinName joins given names and a surname, either of which may be empty.
func joinName(given, family string) string {
	return strings.TrimSpace(strings.TrimSpace(given) + " " + strings.TrimSpace(family))
}

// identityType is the CloudEvents type of an identity vendor's event of kind k.
func identityType(k Kind) string {
	switch k {
	case KindAuthentication:
		return TypeIdentityAuthentication
	case KindVerification:
		return TypeIdentityVerification
	case KindDeletion:
		return TypeIdentityDeletion
	}
	return TypeVendorEvent
}

// setKind sets the event's kind, outcome and the type that goes with them.
func setKind(ev *Event, k Kind, o Outcome) {
	ev.Data.Kind, ev.Data.Outcome, ev.Type = k, o, identityType(k)
}

// setUser fills the user and the subject: the vendor's own id for the
// person, the id the customer gave it, and a name. The subject is the
// customer's id where there is one, else the vendor's.
func setUser(ev *Event, u User) {
	if u == (User{}) {
		return
	}
	ev.Data.User = &u
	ev.Subject = firstNonEmpty(u.ExternalID, u.ID)
}

// setDocument sets the document unless it is empty.
func setDocument(ev *Event, doc Document) {
	if doc != (Document{}) {
		ev.Data.Document = &doc
	}
}

// decodeObject reads a payload that must be one JSON object into v: a
// vendor's JSON payload is never null, an array or a scalar.
func decodeObject(body []byte, v any) error {
	i := 0
	for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r') {
		i++
	}
	if i == len(body) || body[i] != '{' {
		if !jsontext.Value(body).IsValid() {
			return BadPayload("invalid_json", errNotJSON)
		}
		return BadPayload("invalid_json", errNotObject)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return BadPayload("invalid_json", err)
	}
	return nil
}
