package vendors

import (
	"errors"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json"

	"github.com/biohook/caddy-biohook/verify"
)

func init() {
	caddy.RegisterModule(FACEIO{})
}

// FACEIO verifies FACEIO webhooks (faceio.net/webhooks). FACEIO sends its
// application's webhook token in the WWW-Authenticate header, as
// "Bearer <token>"; nothing signs the body, so the token and, optionally, the
// application id in the payload are all there is to check.
type FACEIO struct {
	// The application's webhook token. Give it more than once while
	// rotating: any one of them verifies. Placeholders such as {env.X} and
	// {file./path} are resolved when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	// The application's public id. When set, the payload's appId must equal it.
	AppID string `json:"app_id,omitempty"`

	secrets verify.Secrets
	appID   string // AppID with its placeholders resolved
}

// CaddyModule returns the Caddy module information.
func (FACEIO) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.faceio",
		New: func() caddy.Module { return new(FACEIO) },
	}
}

// Provision resolves the secrets.
func (f *FACEIO) Provision(caddy.Context) error {
	secrets, err := ResolveSecrets("faceio secret", f.Secrets)
	if err != nil {
		return err
	}
	f.secrets = secrets
	if f.AppID != "" {
		f.appID, err = ResolveValue("faceio app_id", f.AppID)
	}
	return err
}

// faceioPayload is the part of a FACEIO payload the module reads; the rest
// travels in the event's raw field.
type faceioPayload struct {
	EventName Text `json:"eventName"`
	FacialID  Text `json:"facialId"`
	AppID     Text `json:"appId"`
	Details   struct {
		Timestamp Text `json:"timestamp"`
	} `json:"details"`
}

// faceioCases are the objects faceioPayload reads.
var faceioCases = scopeOf("details")

var (
	errNoToken   = errors.New("no WWW-Authenticate header")
	errTwoTokens = errors.New("more than one WWW-Authenticate header")
	errBadToken  = errors.New("the token matches no configured secret")
	errAppID     = errors.New("appId is not the configured application")
	errNoEvent   = errors.New("eventName is missing")
)

// faceioTokenProved is what VerifyHeaders leaves in Scratch: the token
// matched.
type faceioTokenProved struct{}

// VerifyHeaders checks the token, which is all the proof FACEIO sends
// besides the application id in the payload.
func (f *FACEIO) VerifyHeaders(d *Delivery) error {
	values := d.Request.Header.Values("WWW-Authenticate")
	switch {
	case len(values) == 0:
		return Unauthorized("missing_token", errNoToken)
	case len(values) > 1:
		return Unauthorized("duplicate_header", errTwoTokens)
	}
	if !f.secrets.MatchToken([]byte(bearerToken(values[0]))) {
		return Unauthorized("token_mismatch", errBadToken)
	}
	d.Scratch = faceioTokenProved{}
	return nil
}

// Verify checks the token, unless VerifyHeaders did, and, when configured,
// the application id.
func (f *FACEIO) Verify(d *Delivery) error {
	if _, ok := d.Scratch.(faceioTokenProved); !ok {
		if err := f.VerifyHeaders(d); err != nil {
			return err
		}
	}
	if f.appID == "" {
		return nil
	}
	p, err := f.decode(d)
	if err != nil {
		return err
	}
	if !verify.EqualString(string(p.AppID), f.appID) {
		return Unauthorized("app_id_mismatch", errAppID)
	}
	return nil
}

// bearerToken takes the token from "Bearer <token>" (the scheme in any case)
// or from a bare token.
func bearerToken(v string) string {
	if token, ok := cutScheme(v, "Bearer"); ok {
		return token
	}
	return strings.TrimSpace(v)
}

func (f *FACEIO) decode(d *Delivery) (*faceioPayload, error) {
	if p, ok := d.Scratch.(*faceioPayload); ok {
		return p, nil
	}
	p := new(faceioPayload)
	if err := json.Unmarshal(d.Body, p); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if err := checkCase(d.Body, faceioCases); err != nil {
		return nil, BadPayload("ambiguous_member", err)
	}
	if p.EventName == "" {
		return nil, BadPayload("invalid_payload", errNoEvent)
	}
	d.Scratch = p
	return p, nil
}

// faceioEvents maps FACEIO's event names to the common kind, outcome and type.
// ENROLL and AUTH are sent only after a success.
var faceioEvents = map[Text]struct {
	kind    Kind
	outcome Outcome
	typ     string
}{
	"ENROLL":   {KindEnrollment, OutcomeApproved, TypeFaceEnrollment},
	"AUTH":     {KindAuthentication, OutcomeApproved, TypeFaceAuthentication},
	"DELETION": {KindDeletion, OutcomeNone, TypeFaceDeletion},
}

// Normalize maps the payload to the common event. FACEIO sends no delivery
// id, so the id is derived from the body.
func (f *FACEIO) Normalize(d *Delivery) (*Event, error) {
	p, err := f.decode(d)
	if err != nil {
		return nil, err
	}
	ev := NewEvent("faceio", string(p.EventName), d.Body)
	ev.ID = DerivedID("faceio", d.Body)
	ev.Subject = string(p.FacialID)
	ev.Time = faceioTime(string(p.Details.Timestamp))
	if m, ok := faceioEvents[p.EventName]; ok {
		ev.Type, ev.Data.Kind, ev.Data.Outcome = m.typ, m.kind, m.outcome
	} else {
		ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeVendorEvent, KindOther, OutcomeNone
	}
	if p.FacialID != "" {
		ev.Data.User = &User{ID: string(p.FacialID)}
	}
	return ev, nil
}

// faceioTime turns the enrolment date (YYYY-MM-DD, UTC) or a full timestamp
// into RFC 3339; anything else is left out rather than guessed.
func faceioTime(s string) string {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format(time.RFC3339)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return ""
}

// CredentialHeaders names the header that carries the token.
func (f *FACEIO) CredentialHeaders() []string { return []string{"WWW-Authenticate"} }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	faceio {
//		secret <token>     # repeatable, for rotation
//		app_id <public id> # optional
//	}
func (f *FACEIO) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "secret":
			err = ParseRepeated(d, &f.Secrets)
		case "app_id":
			f.AppID, err = ParseOneArg(d)
		default:
			return d.Errf("unknown faceio option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Interface guards
var (
	_ Vendor                = (*FACEIO)(nil)
	_ HeaderVerifier        = (*FACEIO)(nil)
	_ CredentialHeaderer    = (*FACEIO)(nil)
	_ caddy.Provisioner     = (*FACEIO)(nil)
	_ caddyfile.Unmarshaler = (*FACEIO)(nil)
)
