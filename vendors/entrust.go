package vendors

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/biohook/caddy-biohook/verify"
)

func init() {
	caddy.RegisterModule(Entrust{})
}

// Entrust verifies Entrust Identity as a Service (IDaaS) webhooks. IDaaS
// signs each delivery with RFC 9421 HTTP Message Signatures: hmac-sha256
// keyed with the webhook token, label "sig", covering "@method",
// "@target-uri" and "content-digest"; the Content-Digest (RFC 9530) binds
// the body.
type Entrust struct {
	// The webhook's secret token. Give it more than once while rotating:
	// any one of them verifies. Placeholders are resolved when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	// The URL registered with IDaaS, for deployments where the request Caddy
	// sees is not the one IDaaS sent (TLS ended by a load balancer, a path
	// rewritten by another proxy). A URL with a path is used as the signed
	// "@target-uri" exactly; one with only a scheme and host replaces those
	// and keeps the request's original path and query. By default the target
	// URI is rebuilt from what this server saw: the listener's scheme (https
	// only over TLS), the request's host, and its path and query before any
	// Caddy rewrite. The scheme of an absolute-form request line ("POST
	// https://host/path HTTP/1.1") is never taken as sent. The host is the
	// client's to name either way (Go reads it from such a request line, as
	// RFC 9112 asks, in place of the Host header): set public_url to pin it.
	PublicURL string `json:"public_url,omitempty"`

	// How far the signature's created and expires times may be from this
	// server's clock, either way. Default: 5m.
	MaxSkew caddy.Duration `json:"max_skew,omitempty"`

	// Refuse a signature whose Signature-Input carries no created
	// parameter (reason missing_created). Such a signature has no time
	// limit: a captured delivery verifies forever, and only dedupe stops
	// its replay. Off by default, because IDaaS's documentation lists
	// created among the parameters it may send, not as one it always
	// sends: turn it on once deliveries are seen to carry it.
	RequireCreated bool `json:"require_created,omitempty"`

	profile    verify.HMACProfile
	secrets    verify.Secrets
	publicURL  string // exact target URI, when PublicURL has a path
	publicBase string // scheme://host, when PublicURL has none
}

// CaddyModule returns the Caddy module information.
func (Entrust) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.entrust",
		New: func() caddy.Module { return new(Entrust) },
	}
}

// DefaultEntrustSkew is the default for max_skew.
const DefaultEntrustSkew = 5 * time.Minute

// Provision resolves the secrets and the public URL and fixes the profile.
func (e *Entrust) Provision(caddy.Context) error {
	secrets, err := ResolveSecrets("entrust secret", e.Secrets)
	if err != nil {
		return err
	}
	e.secrets = secrets
	if e.MaxSkew == 0 {
		e.MaxSkew = caddy.Duration(DefaultEntrustSkew)
	}
	e.profile = verify.HMACProfile{
		Label:    "sig",
		Required: []string{"@method", "@target-uri", "content-digest"},
		Alg:      "hmac-sha256",
		MaxSkew:  time.Duration(e.MaxSkew),

		RequireCreated: e.RequireCreated,
	}
	return e.provisionPublicURL()
}

func (e *Entrust) provisionPublicURL() error {
	if e.PublicURL == "" {
		return nil
	}
	raw, err := caddy.NewReplacer().ReplaceOrErr(e.PublicURL, true, true)
	if err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("entrust public_url must be an absolute http(s) URL")
	}
	if u.Path == "" && u.RawQuery == "" {
		e.publicBase = u.Scheme + "://" + u.Host
	} else {
		e.publicURL = raw
	}
	return nil
}

// Validate checks the settings that need no resolving.
func (e *Entrust) Validate() error {
	if e.MaxSkew < 0 {
		return errors.New("entrust max_skew must not be negative")
	}
	return nil
}

var errDuplicateSigHeader = errors.New("a signature header appears more than once")

// entrustSignature is what VerifyHeaders leaves in Scratch: the signature,
// read and checked as far as it can be without the body.
type entrustSignature struct{ in *verify.SignatureInput }

// VerifyHeaders checks what needs no body: each signature header once,
// Content-Digest present, and the signature's label, components, algorithm
// and created and expires times.
func (e *Entrust) VerifyHeaders(d *Delivery) error {
	h := d.Request.Header
	for _, name := range []string{"Content-Digest", "Signature", "Signature-Input"} {
		if len(h[name]) > 1 {
			// IDaaS sends each once; two are a splice, and which one a
			// parser keeps is not something to leave to chance.
			return Unauthorized("duplicate_header", errDuplicateSigHeader)
		}
	}
	if len(h["Content-Digest"]) == 0 {
		return digestRejection(verify.ErrDigestMissing)
	}
	in, err := e.profile.ParseHeaders(h, d.Received)
	if err != nil {
		return signatureRejection(err)
	}
	d.Scratch = entrustSignature{in}
	return nil
}

// Verify checks the headers, unless VerifyHeaders did, then the
// Content-Digest against the raw body and the RFC 9421 signature over the
// request as IDaaS sent it.
func (e *Entrust) Verify(d *Delivery) error {
	sig, ok := d.Scratch.(entrustSignature)
	if !ok {
		if err := e.VerifyHeaders(d); err != nil {
			return err
		}
		sig = d.Scratch.(entrustSignature)
	}
	h := d.Request.Header
	if err := verify.CheckContentDigest(h["Content-Digest"], d.Body); err != nil {
		return digestRejection(err)
	}
	m := verify.Message{Method: d.Request.Method, TargetURI: e.targetURI(d.Request), Header: h}
	if err := e.profile.Match(sig.in, m, e.secrets); err != nil {
		return signatureRejection(err)
	}
	return nil
}

func digestRejection(err error) *Rejection {
	switch {
	case errors.Is(err, verify.ErrDigestMissing):
		return Unauthorized("missing_digest", err)
	case errors.Is(err, verify.ErrDigestMismatch):
		return Unauthorized("digest_mismatch", err)
	case errors.Is(err, verify.ErrDigestUnsupported):
		return Unauthorized("unsupported_digest", err)
	default:
		return Unauthorized("malformed_digest", err)
	}
}

func signatureRejection(err error) *Rejection {
	switch {
	case errors.Is(err, verify.ErrSignatureMissing), errors.Is(err, verify.ErrSignatureLabel):
		return Unauthorized("missing_signature", err)
	case errors.Is(err, verify.ErrSignatureMismatch):
		return Unauthorized("signature_mismatch", err)
	case errors.Is(err, verify.ErrSignatureStale):
		return Unauthorized("stale_signature", err)
	case errors.Is(err, verify.ErrSignatureFuture):
		return Unauthorized("signature_in_future", err)
	case errors.Is(err, verify.ErrCreatedMissing):
		return Unauthorized("missing_created", err)
	case errors.Is(err, verify.ErrSignatureProfile), errors.Is(err, verify.ErrSignatureAlgorithm),
		errors.Is(err, verify.ErrComponentUnknown):
		return Unauthorized("unsupported_signature", err)
	case errors.Is(err, verify.ErrComponentMissing):
		return Unauthorized("missing_signed_component", err)
	default:
		return Unauthorized("malformed_signature", err)
	}
}

// targetURI is the URL IDaaS called: the configured public URL, or one
// rebuilt from what this server saw: the listener's scheme (TLS or not),
// the host the request was routed by (r.Host: for an absolute-form request
// line net/http takes it from there and drops the Host header), and the path
// and query as received, before any rewrite by Caddy. The scheme of an
// absolute-form request line is the client's to choose and is never used.
func (e *Entrust) targetURI(r *http.Request) string {
	if e.publicURL != "" {
		return e.publicURL
	}
	// Caddy's copy of the original request keeps its target, not its host
	// or TLS state, which rewrites do not change.
	uri := r.RequestURI
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && orig.RequestURI != "" {
		uri = orig.RequestURI
	}
	uri = requestPath(uri)
	if e.publicBase != "" {
		return e.publicBase + uri
	}
	if r.TLS != nil {
		return "https://" + r.Host + uri
	}
	return "http://" + r.Host + uri
}

// requestPath is the path and query of a request target as received: an
// origin-form target as it is; an absolute-form one ("http://host/p?q")
// without its scheme and authority.
func requestPath(uri string) string {
	if uri == "" || uri[0] == '/' {
		return uri
	}
	i := strings.Index(uri, "://")
	if i < 0 {
		return uri // no hierarchical URL: a signature over it will not match
	}
	rest := uri[i+len("://"):]
	j := strings.IndexAny(rest, "/?")
	switch {
	case j < 0:
		return "/"
	case rest[j] == '?':
		return "/" + rest[j:]
	}
	return rest[j:]
}

// entrustEnvelope is the envelope every IDaaS event shares.
type entrustEnvelope struct {
	ID        Text        `json:"id"`
	Type      Text        `json:"type"`
	EventTime Text        `json:"eventTime"`
	Data      entrustData `json:"data"`
}

type entrustData struct {
	Subject          Text              `json:"subject"`
	SubjectName      Text              `json:"subjectName"`
	EntityType       Text              `json:"entityType"`
	EntityID         Text              `json:"entityId"`
	EntityName       Text              `json:"entityName"`
	EntityAttributes entrustAttributes `json:"entityAttributes"`
}

type entrustAttributes struct {
	UserID    Text `json:"userId"`
	Email     Text `json:"email"`
	FirstName Text `json:"firstName"`
	LastName  Text `json:"lastName"`
}

var errEntrustEnvelope = errors.New("id and type are required")

// entrustCases are the objects the envelope reads.
var entrustCases = new(caseScope).with("data", scopeOf("entityAttributes"))

// read fills the envelope from an IDaaS payload in one walk; it reads what
// json.Unmarshal into the struct would (FuzzEntrustEnvelope holds it to that).
func (env *entrustEnvelope) read(body []byte) error {
	return walkObject(body, env)
}

func (env *entrustEnvelope) readMember(dec *jsontext.Decoder, name []byte) error {
	switch string(name) {
	case "id":
		return env.ID.UnmarshalJSONFrom(dec)
	case "type":
		return env.Type.UnmarshalJSONFrom(dec)
	case "eventTime":
		return env.EventTime.UnmarshalJSONFrom(dec)
	case "data":
		return readMembers(dec, &env.Data)
	}
	return dec.SkipValue()
}

func (data *entrustData) readMember(dec *jsontext.Decoder, name []byte) error {
	switch string(name) {
	case "subject":
		return data.Subject.UnmarshalJSONFrom(dec)
	case "subjectName":
		return data.SubjectName.UnmarshalJSONFrom(dec)
	case "entityType":
		return data.EntityType.UnmarshalJSONFrom(dec)
	case "entityId":
		return data.EntityID.UnmarshalJSONFrom(dec)
	case "entityName":
		return data.EntityName.UnmarshalJSONFrom(dec)
	case "entityAttributes":
		return readMembers(dec, &data.EntityAttributes)
	}
	return dec.SkipValue()
}

func (attrs *entrustAttributes) readMember(dec *jsontext.Decoder, name []byte) error {
	switch string(name) {
	case "userId":
		return attrs.UserID.UnmarshalJSONFrom(dec)
	case "email":
		return attrs.Email.UnmarshalJSONFrom(dec)
	case "firstName":
		return attrs.FirstName.UnmarshalJSONFrom(dec)
	case "lastName":
		return attrs.LastName.UnmarshalJSONFrom(dec)
	}
	return dec.SkipValue()
}

// Normalize maps any of the 16 IDaaS event types to the common event.
func (e *Entrust) Normalize(d *Delivery) (*Event, error) {
	var env entrustEnvelope
	if err := env.read(d.Body); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if err := checkCase(d.Body, entrustCases); err != nil {
		return nil, BadPayload("ambiguous_member", err)
	}
	if env.ID == "" || env.Type == "" {
		return nil, BadPayload("invalid_payload", errEntrustEnvelope)
	}
	ev := NewEvent("entrust", string(env.Type), d.Body)
	ev.ID = string(env.ID)
	ev.Time = normalTime(string(env.EventTime))
	ev.Type, ev.Data.Kind, ev.Data.Outcome = entrustClass(string(env.Type))
	ev.Data.User = entrustUser(&env)
	if ev.Data.User != nil {
		ev.Subject = ev.Data.User.ID
	}
	return ev, nil
}

// entrustClass maps an IDaaS event type to the common type, kind and outcome.
func entrustClass(t string) (string, Kind, Outcome) {
	switch {
	case t == "authentication.succeeded":
		return TypeIdentityAuthentication, KindAuthentication, OutcomeApproved
	case t == "authentication.failed":
		return TypeIdentityAuthentication, KindAuthentication, OutcomeRejected
	case t == "face.biometric.created":
		return TypeFaceEnrollment, KindEnrollment, OutcomeNone
	case t == "user.deleted":
		return TypeIdentityDeletion, KindDeletion, OutcomeNone
	default:
		return TypeVendorEvent, KindOther, OutcomeNone
	}
}

// entrustUser finds the person an event is about. In user events the
// subject is the administrator who acted and the entity is the user; in the
// others the subject is the user.
func entrustUser(env *entrustEnvelope) *User {
	data := &env.Data
	attrs := &data.EntityAttributes
	u := User{ExternalID: string(attrs.UserID), Email: string(attrs.Email)}
	if data.EntityType == "USERS" {
		u.ID = string(data.EntityID)
		u.Name = strings.TrimSpace(string(attrs.FirstName) + " " + string(attrs.LastName))
		if u.Name == "" {
			u.Name = string(data.EntityName)
		}
	} else {
		u.ID, u.Name = string(data.Subject), string(data.SubjectName)
	}
	if u == (User{}) {
		return nil
	}
	return &u
}

// normalTime turns an ISO 8601 timestamp into RFC 3339 in UTC, or "" when it
// is not one.
func normalTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return ""
	}
	// Most vendors already send it so: keep their string, not a copy.
	var buf [64]byte
	if out := t.UTC().AppendFormat(buf[:0], time.RFC3339Nano); string(out) != s {
		return string(out)
	}
	return s
}

// SignatureWindow implements Skewer.
func (e *Entrust) SignatureWindow() time.Duration { return time.Duration(e.MaxSkew) }

// CredentialHeaders names the signature headers. Content-Digest goes too:
// it describes the vendor's body, not the event forwarded.
func (e *Entrust) CredentialHeaders() []string {
	return []string{"Signature", "Signature-Input", "Content-Digest"}
}

// SecretHeaders names the signature: a valid proof for its body while
// created is within max_skew. Its parameters and the digest are not secret.
func (e *Entrust) SecretHeaders() []string { return []string{"Signature"} }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	entrust {
//		secret <webhook token>  # repeatable, for rotation
//		public_url <url>        # optional
//		max_skew <duration>     # optional, default 5m
//		require_created         # optional: refuse a signature without created
//	}
func (e *Entrust) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "secret":
			err = ParseRepeated(d, &e.Secrets)
		case "public_url":
			e.PublicURL, err = ParseOneArg(d)
		case "max_skew":
			e.MaxSkew, err = ParseDuration(d)
		case "require_created":
			if d.NextArg() {
				return d.ArgErr()
			}
			e.RequireCreated = true
		default:
			return d.Errf("unknown entrust option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Interface guards
var (
	_ Vendor                = (*Entrust)(nil)
	_ HeaderVerifier        = (*Entrust)(nil)
	_ CredentialHeaderer    = (*Entrust)(nil)
	_ SecretHeaderer        = (*Entrust)(nil)
	_ caddy.Provisioner     = (*Entrust)(nil)
	_ caddy.Validator       = (*Entrust)(nil)
	_ caddyfile.Unmarshaler = (*Entrust)(nil)
)
