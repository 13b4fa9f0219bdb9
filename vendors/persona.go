package vendors

import (
	"errors"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json"
)

func init() {
	caddy.RegisterModule(Persona{})
}

// Persona verifies Persona webhooks (docs.withpersona.com/docs/webhooks).
// Persona-Signature is "t=<unix>,v1=<hex>": HMAC-SHA256 of "<t>.<raw body>"
// keyed with the webhook's secret as its bytes are. While a secret is
// rotated the header holds two sets, "t=..,v1=.. t=..,v1=..", one per
// secret, each with its own t: either proves the delivery. The
// Persona-Webhook-Attempts-* headers reach the app as sent.
type Persona struct {
	// The webhook's secret. Give both while rotating: any one verifies.
	// Placeholders such as {env.X} and {file./path} are resolved when the
	// config loads.
	Secrets []string `json:"secrets,omitempty"`

	// How far a set's t may be from this server's clock, either way.
	// Persona documents no tolerance. Default: 5m.
	MaxSkew caddy.Duration `json:"max_skew,omitempty"`

	check timedHMACCheck
}

// CaddyModule returns the Caddy module information.
func (Persona) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.persona",
		New: func() caddy.Module { return new(Persona) },
	}
}

// Provision fills the default window and resolves the secrets.
func (p *Persona) Provision(caddy.Context) error {
	if p.MaxSkew == 0 {
		p.MaxSkew = caddy.Duration(DefaultTimedMaxSkew)
	}
	var err error
	p.check, err = newTimedHMACCheck("persona", "Persona-Signature", p.Secrets, p.MaxSkew)
	return err
}

// Verify checks Persona-Signature over the raw body: any set that
// verifies under any secret with its t in the window proves the delivery.
func (p *Persona) Verify(d *Delivery) error { return p.check.verify(d) }

// VerifyHeaders refuses, before the body is read, a signature header that
// is missing, doubled, malformed or out of the window.
func (p *Persona) VerifyHeaders(d *Delivery) error { return p.check.verifyHead(d) }

// personaEvent is the part of Persona's JSON:API event the module reads;
// the whole of it travels in the event's raw field.
type personaEvent struct {
	Data struct {
		ID         Text `json:"id"`
		Attributes struct {
			Name      Text `json:"name"`
			CreatedAt Text `json:"created-at"`
			Payload   struct {
				Data struct {
					Type       Text `json:"type"`
					ID         Text `json:"id"`
					Attributes struct {
						Status      Text `json:"status"`
						ReferenceID Text `json:"reference-id"`
					} `json:"attributes"`
				} `json:"data"`
			} `json:"payload"`
		} `json:"attributes"`
	} `json:"data"`
}

var errPersonaNoName = errors.New("data.attributes.name is missing")

// Normalize maps an event. Inquiry and verification events are
// verifications whose outcome is the object's status; others pass through
// as kind other. data.resource names the object the event is about.
func (p *Persona) Normalize(d *Delivery) (*Event, error) {
	var e personaEvent
	if err := json.Unmarshal(d.Body, &e); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	attr := &e.Data.Attributes
	if attr.Name == "" {
		return nil, BadPayload("invalid_payload", errPersonaNoName)
	}
	ev := NewEvent("persona", string(attr.Name), d.Body)
	ev.ID = string(e.Data.ID)
	if ev.ID == "" {
		ev.ID = DerivedID("persona", d.Body)
	}
	ev.Time = normalTime(string(attr.CreatedAt))
	obj := &attr.Payload.Data
	objType := string(obj.Type)
	status := string(obj.Attributes.Status)
	if status == "" { // the event's name ends in what happened: inquiry.approved
		_, status, _ = strings.Cut(string(attr.Name), ".")
	}
	switch {
	case objType == "inquiry":
		ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeIdentityVerification, KindVerification, personaInquiryOutcome(status)
	case objType == "verification" || strings.HasPrefix(objType, "verification/"):
		ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeIdentityVerification, KindVerification, personaVerificationOutcome(status)
	default:
		ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeVendorEvent, KindOther, OutcomeNone
	}
	if ref := string(obj.Attributes.ReferenceID); ref != "" {
		ev.Subject = ref
		ev.Data.User = &User{ExternalID: ref}
	}
	if objType != "" || obj.ID != "" {
		ev.Data.Resource = &Resource{Type: objType, ID: string(obj.ID)}
	}
	return ev, nil
}

// personaInquiryOutcome maps an inquiry's status (or the event name's
// ending, which uses marked-for-review where the status says needs_review).
func personaInquiryOutcome(status string) Outcome {
	switch status {
	case "approved":
		return OutcomeApproved
	case "declined", "failed":
		return OutcomeRejected
	case "expired":
		return OutcomeNone
	}
	return OutcomePending // created, pending, completed, needs_review, marked-for-review, ...
}

// personaVerificationOutcome maps a verification's status (passed,
// failed, canceled; initiated, submitted and requires_retry are to come).
func personaVerificationOutcome(status string) Outcome {
	switch status {
	case "passed":
		return OutcomeApproved
	case "failed":
		return OutcomeRejected
	case "canceled":
		return OutcomeNone
	}
	return OutcomePending
}

// SignatureWindow implements Skewer.
func (p *Persona) SignatureWindow() time.Duration { return time.Duration(p.MaxSkew) }

// CredentialHeaders names the signature header. Persona's attempt headers
// (Persona-Webhook-Attempts-Made, -Left, -First-Attempted-At) stay.
func (p *Persona) CredentialHeaders() []string { return []string{"Persona-Signature"} }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	persona {
//		secret   <webhook secret>  # repeatable, while rotating
//		max_skew <duration>        # default 5m, either way
//	}
func (p *Persona) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "secret":
			err = ParseRepeated(d, &p.Secrets)
		case "max_skew":
			p.MaxSkew, err = ParseDuration(d)
		default:
			return d.Errf("unknown persona option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Interface guards
var (
	_ HeaderVerifier        = (*Persona)(nil)
	_ Vendor                = (*Persona)(nil)
	_ Skewer                = (*Persona)(nil)
	_ CredentialHeaderer    = (*Persona)(nil)
	_ caddy.Provisioner     = (*Persona)(nil)
	_ caddyfile.Unmarshaler = (*Persona)(nil)
)
