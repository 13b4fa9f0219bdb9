package vendors

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/verify"
)

func init() {
	caddy.RegisterModule(Authenteq{})
}

// Authenteq verifies Authenteq identity-verification webhooks
// (docs.authenteq.com/webhook/overview). Authenteq posts a
// multipart/form-data body: a "result" part with the verification result as
// JSON, and one part per image. X-CLIENT-ID carries the client id and
// X-SIGNATURE the hex SHA-256 digest of the raw body and the client secret.
type Authenteq struct {
	// The Client ID from Authenteq's Customer Dashboard. X-CLIENT-ID must
	// equal it. Placeholders are resolved when the config loads.
	ClientID string `json:"client_id,omitempty"`

	// The Client Secret. Give it more than once while rotating: any one of
	// them verifies. Placeholders such as {env.X} and {file./path} are
	// resolved when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	// How the signature digest combines the body and the secret.
	// Authenteq documents X-SIGNATURE as "the hex-encoded SHA256 digest of
	// the request body and your Client Secret", body first: that is
	// "body_secret", SHA-256(body || secret), the default. "hmac" is
	// HMAC-SHA256(secret, body). "secret_body", SHA-256(secret || body), is
	// open to SHA-256 length extension (one signed delivery yields valid
	// signatures for longer bodies) and is refused unless
	// insecure_length_extension is set too. Default: body_secret.
	Digest string `json:"digest,omitempty"`

	// Accept digest "secret_body" despite SHA-256 length extension: anyone
	// holding one delivery can compute the signature of that body with
	// bytes of their choice appended. Only the strict multipart framing
	// then keeps such a body out. A route with secret_body and without
	// this setting does not start; with it, the route logs a warning when
	// it starts. Only valid with digest secret_body.
	InsecureLengthExtension bool `json:"insecure_length_extension,omitempty"`

	// What the event carries of each image: "inline" puts its bytes, base64,
	// in data.images[].data; "omit" keeps only its name, content type, size
	// and SHA-256. Default: inline.
	Images string `json:"images,omitempty"`

	clientID string
	secrets  verify.Secrets
	suffix   *verify.SuffixDigest // the secrets, for digest body_secret
}

// The digest constructions and image modes.
const (
	AuthenteqDigestBodySecret = "body_secret"
	AuthenteqDigestSecretBody = "secret_body"
	AuthenteqDigestHMAC       = "hmac"
	AuthenteqImagesInline     = "inline"
	AuthenteqImagesOmit       = "omit"
)

// DefaultAuthenteqMaxSize is the body limit for Authenteq deliveries, which
// carry up to twelve images.
const DefaultAuthenteqMaxSize = 32 << 20

// CaddyModule returns the Caddy module information.
func (Authenteq) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.authenteq",
		New: func() caddy.Module { return new(Authenteq) },
	}
}

// Provision fills the defaults and resolves the client id and the secrets.
// A route with no client id or no secret does not start, nor one with digest
// secret_body that has not opted in to its weakness.
func (a *Authenteq) Provision(ctx caddy.Context) error {
	if a.Digest == "" {
		a.Digest = AuthenteqDigestBodySecret
	}
	switch {
	case a.Digest == AuthenteqDigestSecretBody && !a.InsecureLengthExtension:
		return errAuthenteqSecretBody
	case a.Digest != AuthenteqDigestSecretBody && a.InsecureLengthExtension:
		return errAuthenteqInsecureOption
	case a.InsecureLengthExtension:
		ctx.Logger().Warn("authenteq digest secret_body is SHA-256(secret || body), open to length extension: "+
			"anyone holding one signed delivery can sign that body with bytes of their choice appended; "+
			"only the strict multipart framing refuses such bodies. Authenteq documents body_secret",
			zap.String("digest", a.Digest), zap.Bool("insecure_length_extension", true))
	}
	if a.Images == "" {
		a.Images = AuthenteqImagesInline
	}
	if a.ClientID == "" {
		return errors.New("no authenteq client_id configured: every route must prove its deliveries")
	}
	id, err := ResolveValue("authenteq client_id", a.ClientID)
	if err != nil {
		return err
	}
	secrets, err := ResolveSecrets("authenteq secret", a.Secrets)
	if err != nil {
		return err
	}
	a.clientID, a.secrets = id, secrets
	// body_secret is SHA-256(body || secret), the keyed digest Shufti uses too.
	a.suffix, err = verify.NewSuffixDigest(secrets)
	return err
}

// Validate checks the digest and image settings.
func (a *Authenteq) Validate() error {
	switch a.Digest {
	case AuthenteqDigestBodySecret, AuthenteqDigestSecretBody, AuthenteqDigestHMAC:
	default:
		return fmt.Errorf("authenteq digest must be body_secret, secret_body or hmac, not %q", a.Digest)
	}
	switch a.Images {
	case AuthenteqImagesInline, AuthenteqImagesOmit:
	default:
		return fmt.Errorf("authenteq images must be inline or omit, not %q", a.Images)
	}
	return nil
}

var (
	errAuthenteqSecretBody = errors.New("authenteq digest secret_body, SHA-256(secret || body), is open to length extension: " +
		"anyone holding one signed delivery can sign longer bodies. Authenteq documents body_secret, SHA-256(body || secret), the default; " +
		"keep secret_body only by writing `digest secret_body insecure_length_extension` (JSON: \"insecure_length_extension\": true)")
	errAuthenteqInsecureOption = errors.New("authenteq insecure_length_extension applies only to digest secret_body")
)

var (
	errAuthenteqNoClientID   = errors.New("no X-CLIENT-ID header")
	errAuthenteqClientID     = errors.New("X-CLIENT-ID is not the configured client id")
	errAuthenteqNoSignature  = errors.New("no X-SIGNATURE header")
	errAuthenteqHexSignature = errors.New("X-SIGNATURE is not a hex SHA-256 digest")
	errAuthenteqSignature    = errors.New("X-SIGNATURE matches no configured secret")
	errAuthenteqTwoHeaders   = errors.New("X-CLIENT-ID or X-SIGNATURE appears more than once")
	errAuthenteqDigest       = errors.New("the digest construction is not supported")
)

// authenteqHeadersProved is what VerifyHeaders leaves in Scratch: the
// client id matched and the signature is a hex SHA-256 digest.
type authenteqHeadersProved struct{}

// VerifyHeaders checks the client id and that the signature is a hex
// SHA-256 digest: a request without them cannot be Authenteq's, and is
// refused before its body, up to 32 MiB, is read.
func (a *Authenteq) VerifyHeaders(d *Delivery) error {
	h := d.Request.Header
	ids, sigs := h.Values("X-Client-Id"), h.Values("X-Signature")
	switch {
	case len(ids) > 1 || len(sigs) > 1:
		return Unauthorized("duplicate_header", errAuthenteqTwoHeaders)
	case len(ids) == 0:
		return Unauthorized("missing_client_id", errAuthenteqNoClientID)
	case !verify.EqualString(ids[0], a.clientID):
		return Unauthorized("client_id_mismatch", errAuthenteqClientID)
	case len(sigs) == 0:
		return Unauthorized("missing_signature", errAuthenteqNoSignature)
	case !authenteqIsHexDigest(sigs[0]):
		return Unauthorized("malformed_signature", errAuthenteqHexSignature)
	}
	d.Scratch = authenteqHeadersProved{}
	return nil
}

// Verify checks the headers, unless VerifyHeaders did, then the digest of
// the raw body with every configured secret. The body is not parsed.
func (a *Authenteq) Verify(d *Delivery) error {
	if _, ok := d.Scratch.(authenteqHeadersProved); !ok {
		if err := a.VerifyHeaders(d); err != nil {
			return err
		}
	}
	var got [sha256.Size]byte
	if !verify.DecodeHexDigest(d.Request.Header.Get("X-Signature"), &got) {
		return Unauthorized("malformed_signature", errAuthenteqHexSignature)
	}
	match, err := a.matchDigest(d.Body, got[:])
	if err != nil {
		return Unauthorized("unsupported_signature", err)
	}
	if !match {
		return Unauthorized("signature_mismatch", errAuthenteqSignature)
	}
	return nil
}

// authenteqIsHexDigest reports whether s, spaces around it aside, is a
// SHA-256 digest in hex, either case, without decoding it.
func authenteqIsHexDigest(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// matchDigest reports whether got is the digest of body with one of the
// secrets. Every secret is tried and compared in constant time.
func (a *Authenteq) matchDigest(body, got []byte) (bool, error) {
	if a.Digest == AuthenteqDigestBodySecret {
		// The body is hashed once; each secret continues from a copy.
		return a.suffix.Match(body, got)
	}
	var sum [sha256.Size]byte
	match := false
	for _, s := range a.secrets {
		var h hash.Hash
		switch a.Digest {
		case AuthenteqDigestSecretBody:
			h = sha256.New()
			h.Write(s.Key())
			h.Write(body)
		case AuthenteqDigestHMAC:
			h = hmac.New(sha256.New, s.Key())
			h.Write(body)
		default:
			return false, errAuthenteqDigest
		}
		if hmac.Equal(h.Sum(sum[:0]), got) {
			match = true
		}
	}
	return match, nil
}

// authenteqResult is the part of the "result" JSON the module reads; the
// whole of it travels in the event's raw field.
type authenteqResult struct {
	ID           Text                  `json:"id"`
	Status       Text                  `json:"status"`
	StartTime    Text                  `json:"startTime"`
	EndTime      Text                  `json:"endTime"`
	DocumentData authenteqDocumentData `json:"documentData"`
}

// authenteqDocumentData is what the first scanned document says.
type authenteqDocumentData struct {
	DocumentType   Text `json:"documentType"`
	DocumentNumber Text `json:"documentNumber"`
	IssuingCountry Text `json:"issuingCountry"`
	Nationality    Text `json:"nationality"`
	GivenNames     Text `json:"givenNames"`
	Surname        Text `json:"surname"`
	DateOfBirth    Text `json:"dateOfBirth"`
	DateOfExpiry   Text `json:"dateOfExpiry"`
}

// authenteqCases are the objects of the result the normaliser reads.
var authenteqCases = scopeOf("documentData")

var (
	errAuthenteqNoResult     = errors.New("the form has no result part")
	errAuthenteqTwoResults   = errors.New("the form has more than one result part")
	errAuthenteqResultName   = errors.New("a part is named result in another case")
	errAuthenteqResultFile   = errors.New("the result part is a file (it has a filename)")
	errAuthenteqResultObject = errors.New("the result part is not a JSON object")
)

// Normalize reads the verified form and maps it to the common event.
func (a *Authenteq) Normalize(d *Delivery) (*Event, error) {
	boundary, err := formBoundary(d.Request.Header.Get("Content-Type"))
	if errors.Is(err, errFormMediaType) {
		return nil, Reject(http.StatusUnsupportedMediaType, "unsupported_media_type", err)
	}
	if err != nil {
		return nil, BadPayload("invalid_multipart", err)
	}
	parts, err := splitForm(d.Body, boundary)
	if err != nil {
		return nil, BadPayload("invalid_multipart", err)
	}
	raw, images, err := a.sortParts(parts)
	if err != nil {
		return nil, err
	}
	var res authenteqResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if err := checkCase(raw, authenteqCases); err != nil {
		return nil, BadPayload("ambiguous_member", err)
	}
	ev := NewEvent("authenteq", "verification", raw)
	ev.ID = string(res.ID)
	if ev.ID == "" {
		ev.ID = DerivedID("authenteq", d.Body)
	}
	ev.Time = normalTime(string(res.EndTime))
	ev.Type, ev.Data.Kind = TypeIdentityVerification, KindVerification
	ev.Data.Outcome = authenteqOutcome(string(res.Status))
	ev.Data.User = authenteqUser(&res.DocumentData)
	ev.Data.Document = authenteqDocument(&res.DocumentData)
	ev.Data.Images = images
	return ev, nil
}

// sortParts takes the result JSON and turns every other part into an image:
// nothing Authenteq sends is dropped. Where form readers could disagree on
// which part is the result, the form is refused: a second result, a part
// named result in another case (RESULT, Result), and a result with a
// filename (a file to most readers, not the field).
func (a *Authenteq) sortParts(parts []formPart) (jsonText []byte, images []Image, err error) {
	images = make([]Image, 0, len(parts))
	for i := range parts {
		p := &parts[i]
		if p.Name != "result" {
			if strings.EqualFold(p.Name, "result") {
				return nil, nil, BadPayload("invalid_multipart", errAuthenteqResultName)
			}
			images = append(images, a.image(p))
			continue
		}
		if jsonText != nil {
			return nil, nil, BadPayload("invalid_multipart", errAuthenteqTwoResults)
		}
		if p.File {
			return nil, nil, BadPayload("invalid_multipart", errAuthenteqResultFile)
		}
		jsonText = bytes.TrimSpace(p.Data)
		if !bytes.HasPrefix(jsonText, []byte("{")) {
			return nil, nil, BadPayload("invalid_json", errAuthenteqResultObject)
		}
	}
	if jsonText == nil {
		return nil, nil, BadPayload("missing_result", errAuthenteqNoResult)
	}
	if len(images) == 0 {
		images = nil
	}
	return jsonText, images, nil
}

// image describes one image part; its bytes stay a sub-slice of the body
// and go into the event only when images are inline.
func (a *Authenteq) image(p *formPart) Image {
	sum := sha256.Sum256(p.Data)
	// The part's name and type come from its headers, which are bytes, not
	// text: the event is JSON, so they are made valid UTF-8.
	img := Image{Name: strings.ToValidUTF8(p.Name, "\uFFFD"), ContentType: strings.ToValidUTF8(p.ContentType, "\uFFFD"),
		Size: len(p.Data), SHA256: hex.EncodeToString(sum[:])}
	if a.Images == AuthenteqImagesInline {
		img.Data = p.Data
	}
	return img
}

// authenteqOutcome maps the result's status. Authenteq sends only passed
// verifications, so no status at all is a pass too.
func authenteqOutcome(status string) Outcome {
	switch strings.ToUpper(strings.TrimSpace(status)) {
	case "", "PASSED", "PASS", "APPROVED", "ACCEPTED", "VERIFIED", "SUCCESS":
		return OutcomeApproved
	case "FAILED", "FAIL", "REJECTED", "DECLINED", "DENIED":
		return OutcomeRejected
	case "PENDING", "IN_PROGRESS", "PROCESSING", "IN_REVIEW", "REVIEW", "MANUAL_REVIEW":
		return OutcomePending
	default:
		return OutcomeNone
	}
}

// authenteqUser names the person the document belongs to. Authenteq sends
// no user id.
func authenteqUser(doc *authenteqDocumentData) *User {
	name := strings.TrimSpace(string(doc.GivenNames) + " " + string(doc.Surname))
	if name == "" {
		return nil
	}
	return &User{Name: name}
}

// authenteqDocument maps the first scanned document.
func authenteqDocument(doc *authenteqDocumentData) *Document {
	out := Document{
		Type:           string(doc.DocumentType),
		Number:         string(doc.DocumentNumber),
		IssuingCountry: string(doc.IssuingCountry),
		Nationality:    string(doc.Nationality),
		DateOfBirth:    string(doc.DateOfBirth),
		DateOfExpiry:   string(doc.DateOfExpiry),
	}
	if out == (Document{}) {
		return nil
	}
	return &out
}

// DefaultMaxSize is 32 MiB: room for twelve document and face images.
func (a *Authenteq) DefaultMaxSize() int64 { return DefaultAuthenteqMaxSize }

// MediaTypes is multipart/form-data only.
func (a *Authenteq) MediaTypes() []string { return []string{"multipart/form-data"} }

// CredentialHeaders names the client id and signature headers.
func (a *Authenteq) CredentialHeaders() []string { return []string{"X-Client-Id", "X-Signature"} }

// SecretHeaders names the signature: the client id is not secret.
func (a *Authenteq) SecretHeaders() []string { return []string{"X-Signature"} }

// Acknowledge answers exactly 200 when the upstream accepted the event with
// another 2xx: Authenteq retries anything else for a week. A 200 and every
// non-2xx answer pass unchanged.
func (a *Authenteq) Acknowledge(status int, _ http.Header) (Answer, bool) {
	if status >= 200 && status < 300 && status != http.StatusOK {
		return Answer{Status: http.StatusOK}, true
	}
	return Answer{}, false
}

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	authenteq {
//		client_id <client id>
//		secret <client secret>              # repeatable, for rotation
//		digest body_secret|hmac             # default body_secret
//		digest secret_body insecure_length_extension
//		images inline|omit                  # default inline
//	}
func (a *Authenteq) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "client_id":
			a.ClientID, err = ParseOneArg(d)
		case "secret":
			err = ParseRepeated(d, &a.Secrets)
		case "digest":
			err = a.parseDigest(d)
		case "images":
			a.Images, err = authenteqChoice(d, AuthenteqImagesInline, AuthenteqImagesOmit)
		default:
			return d.Errf("unknown authenteq option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parseDigest reads "digest <construction>" and, after secret_body only,
// the insecure_length_extension opt-in.
func (a *Authenteq) parseDigest(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	switch {
	case len(args) == 0 || len(args) > 2:
		return d.ArgErr()
	case len(args) == 2 && args[1] != "insecure_length_extension":
		return d.Errf("unknown digest option %q", args[1])
	case len(args) == 2 && args[0] != AuthenteqDigestSecretBody:
		return d.Errf("insecure_length_extension applies only to digest secret_body, not %q", args[0])
	}
	switch args[0] {
	case AuthenteqDigestBodySecret, AuthenteqDigestSecretBody, AuthenteqDigestHMAC:
	default:
		return d.Errf("digest takes body_secret, hmac or secret_body, not %q", args[0])
	}
	a.Digest, a.InsecureLengthExtension = args[0], len(args) == 2
	return nil
}

// authenteqChoice reads one argument that must be one of choices.
func authenteqChoice(d *caddyfile.Dispenser, choices ...string) (string, error) {
	opt := d.Val()
	v, err := ParseOneArg(d)
	if err != nil {
		return "", err
	}
	for _, c := range choices {
		if v == c {
			return v, nil
		}
	}
	return "", d.Errf("%s takes %s, not %q", opt, strings.Join(choices, " or "), v)
}

// Interface guards
var (
	_ Vendor                = (*Authenteq)(nil)
	_ HeaderVerifier        = (*Authenteq)(nil)
	_ MaxSizer              = (*Authenteq)(nil)
	_ MediaTyper            = (*Authenteq)(nil)
	_ CredentialHeaderer    = (*Authenteq)(nil)
	_ SecretHeaderer        = (*Authenteq)(nil)
	_ Acknowledger          = (*Authenteq)(nil)
	_ caddy.Provisioner     = (*Authenteq)(nil)
	_ caddy.Validator       = (*Authenteq)(nil)
	_ caddyfile.Unmarshaler = (*Authenteq)(nil)
)
