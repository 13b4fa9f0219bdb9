package vendors

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

func init() {
	caddy.RegisterModule(Stripe{})
}

// Stripe verifies Stripe webhooks (docs.stripe.com/webhooks/signatures),
// made for Stripe Identity's verification-session events. Stripe-Signature
// is "t=<unix>,v1=<hex>[,v1=<hex>...]": HMAC-SHA256 of "<t>.<raw body>"
// keyed with the endpoint's signing secret, whsec_..., as its bytes are
// (not base64-decoded, unlike Standard Webhooks' whsec_ keys). Events of
// other types pass through as kind other.
type Stripe struct {
	// The endpoint's signing secret, whsec_.... Give it more than once
	// while rolling it: any one verifies. Placeholders such as {env.X}
	// and {file./path} are resolved when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	// How far t may be from this server's clock, either way: an older
	// delivery is stale, a later one refused too. Default: 5m.
	MaxSkew caddy.Duration `json:"max_skew,omitempty"`

	check timedHMACCheck
}

// CaddyModule returns the Caddy module information.
func (Stripe) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.stripe",
		New: func() caddy.Module { return new(Stripe) },
	}
}

// Provision fills the default window and resolves the secrets.
func (s *Stripe) Provision(caddy.Context) error {
	if s.MaxSkew == 0 {
		s.MaxSkew = caddy.Duration(DefaultTimedMaxSkew)
	}
	var err error
	s.check, err = newTimedHMACCheck("stripe", "Stripe-Signature", s.Secrets, s.MaxSkew)
	return err
}

// Verify checks Stripe-Signature over the raw body and its t against the
// window.
func (s *Stripe) Verify(d *Delivery) error { return s.check.verify(d) }

// VerifyHeaders refuses, before the body is read, a signature header that
// is missing, doubled, malformed or out of the window.
func (s *Stripe) VerifyHeaders(d *Delivery) error { return s.check.verifyHead(d) }

// stripeEvent is the part of a Stripe event the module reads; the whole
// of it travels in the event's raw field.
type stripeEvent struct {
	ID      Text `json:"id"`
	Type    Text `json:"type"`
	Created Text `json:"created"`
	Data    struct {
		Object stripeObject `json:"object"`
	} `json:"data"`
}

// stripeObject is data.object: a VerificationSession for Identity's
// events, any other object otherwise, so last_error is read only for a
// session.
type stripeObject struct {
	ID                Text           `json:"id"`
	Status            Text           `json:"status"`
	ClientReferenceID Text           `json:"client_reference_id"`
	LastError         jsontext.Value `json:"last_error"`
}

type stripeLastError struct {
	Code   Text `json:"code"`
	Reason Text `json:"reason"`
}

var errStripeNoType = errors.New("type is missing")

// stripeSessionPrefix starts the type of every Stripe Identity
// verification-session event.
const stripeSessionPrefix = "identity.verification_session."

// StripeSessionHref is where Stripe's API serves a verification session.
const StripeSessionHref = "https://api.stripe.com/v1/identity/verification_sessions/"

// Normalize maps the event. A verification session's events carry its
// status but no scores: the outcome says what the status does, and
// data.resource names the session for the app to fetch its report.
func (s *Stripe) Normalize(d *Delivery) (*Event, error) {
	var p stripeEvent
	if err := json.Unmarshal(d.Body, &p); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if p.Type == "" {
		return nil, BadPayload("invalid_payload", errStripeNoType)
	}
	ev := NewEvent("stripe", string(p.Type), d.Body)
	ev.ID = string(p.ID)
	if ev.ID == "" {
		ev.ID = DerivedID("stripe", d.Body)
	}
	ev.Time = unixTime(p.Created)
	obj := &p.Data.Object
	transition, session := strings.CutPrefix(string(p.Type), stripeSessionPrefix)
	if !session {
		ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeVendorEvent, KindOther, OutcomeNone
		return ev, nil
	}
	ev.Type, ev.Data.Kind = TypeIdentityVerification, KindVerification
	status := string(obj.Status)
	if status == "" {
		status = transition
	}
	lastErr := stripeSessionError(obj.LastError)
	ev.Data.Outcome = stripeOutcome(status, lastErr != nil)
	if transition == "redacted" {
		ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeIdentityDeletion, KindDeletion, OutcomeNone
	}
	if lastErr != nil {
		ev.Data.Error = &EventError{Code: string(lastErr.Code), Message: string(lastErr.Reason)}
	}
	if ref := string(obj.ClientReferenceID); ref != "" {
		ev.Subject = ref
		ev.Data.User = &User{ExternalID: ref}
	}
	if id := string(obj.ID); id != "" {
		ev.Data.Resource = &Resource{Type: "verification_session", ID: id, Href: StripeSessionHref + url.PathEscape(id)}
	}
	return ev, nil
}

// stripeSessionError reads last_error when it is an object with a code or
// a reason; null, absent or anything else is no error.
func stripeSessionError(raw jsontext.Value) *stripeLastError {
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var e stripeLastError
	if json.Unmarshal(raw, &e) != nil || (e.Code == "" && e.Reason == "") {
		return nil
	}
	return &e
}

// stripeOutcome maps a session's status. requires_input is where a
// session starts and where it returns after a failed check: only with a
// last_error is it a rejection (the user may try again).
func stripeOutcome(status string, failed bool) Outcome {
	switch status {
	case "verified":
		return OutcomeApproved
	case "requires_input":
		if failed {
			return OutcomeRejected
		}
		return OutcomePending
	case "canceled":
		return OutcomeNone
	}
	return OutcomePending // processing, created, or a status Stripe adds later: fetch the session
}

// SignatureWindow implements Skewer.
func (s *Stripe) SignatureWindow() time.Duration { return time.Duration(s.MaxSkew) }

// CredentialHeaders names the signature header.
func (s *Stripe) CredentialHeaders() []string { return []string{"Stripe-Signature"} }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	stripe {
//		secret   <whsec_...>  # repeatable, while rolling the secret
//		max_skew <duration>   # default 5m, either way
//	}
func (s *Stripe) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "secret":
			err = ParseRepeated(d, &s.Secrets)
		case "max_skew":
			s.MaxSkew, err = ParseDuration(d)
		default:
			return d.Errf("unknown stripe option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Interface guards
var (
	_ HeaderVerifier        = (*Stripe)(nil)
	_ Vendor                = (*Stripe)(nil)
	_ Skewer                = (*Stripe)(nil)
	_ CredentialHeaderer    = (*Stripe)(nil)
	_ caddy.Provisioner     = (*Stripe)(nil)
	_ caddyfile.Unmarshaler = (*Stripe)(nil)
)
