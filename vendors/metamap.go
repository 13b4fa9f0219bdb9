package vendors

import (
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

func init() {
	caddy.RegisterModule(MetaMap{})
	registerSource("metamap")
}

// MetaMap verifies MetaMap (formerly Mati) webhooks
// (docs.metamap.com/docs/configure-your-webhook-url): x-signature is the hex
// HMAC-SHA256 of the raw body, keyed with the secret set for the flow's
// webhook. Deliveries carry no signed time: a replay of a genuine one
// verifies, and only deduplication stops it.
type MetaMap struct {
	// The webhook secret set in MetaMap's dashboard for the flow. Give it
	// more than once while rotating: any one verifies. Placeholders are
	// resolved when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	sig bodySignature
}

// CaddyModule returns the Caddy module information.
func (MetaMap) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.metamap",
		New: func() caddy.Module { return new(MetaMap) },
	}
}

// Provision resolves the secrets.
func (m *MetaMap) Provision(caddy.Context) error {
	var err error
	m.sig, err = newBodySignature("metamap", "X-Signature", "sha256", "hex", "", m.Secrets, ShortSecrets{})
	return err
}

// VerifyHeaders checks, before the body is read, that x-signature is there
// once, in hex.
func (m *MetaMap) VerifyHeaders(d *Delivery) error { return m.sig.VerifyHeaders(d) }

// Verify checks the HMAC of the raw body.
func (m *MetaMap) Verify(d *Delivery) error { return m.sig.Verify(d) }

// CredentialHeaders names the signature header.
func (m *MetaMap) CredentialHeaders() []string { return m.sig.CredentialHeaders() }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	metamap {
//		secret <webhook secret>   # repeatable, for rotation
//	}
func (m *MetaMap) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		switch d.Val() {
		case "secret":
			if err := ParseRepeated(d, &m.Secrets); err != nil {
				return err
			}
		default:
			return d.Errf("unknown metamap option %q", d.Val())
		}
	}
	return nil
}

// metamapPayload is what the module reads of a webhook
// {eventName, resource, metadata, flowId, identityStatus, step, timestamp}.
type metamapPayload struct {
	EventName      Text             `json:"eventName"`
	Resource       Text             `json:"resource"`
	Metadata       metamapMetadata  `json:"metadata"`
	IdentityStatus Text             `json:"identityStatus"`
	Step           Obj[metamapStep] `json:"step"`
	Timestamp      Text             `json:"timestamp"`
}

type metamapStep struct {
	ID    Text `json:"id"`
	Error Obj[struct {
		Code    Text `json:"code"`
		Type    Text `json:"type"`
		Message Text `json:"message"`
	}] `json:"error"`
}

// metamapMetadata is the user's id in the metadata the integration attached
// to the verification: the metadata itself when it is a string or a
// number, else its member userId, user_id, externalId or external_id (the
// first that is a string or a number).
type metamapMetadata string

// UnmarshalJSONFrom implements json.UnmarshalerFrom.
func (m *metamapMetadata) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*m = ""
	switch dec.PeekKind() {
	case '"', '0':
		var t Text
		err := t.UnmarshalJSONFrom(dec)
		*m = metamapMetadata(t)
		return err
	case '{':
		// The members read as the user's id, in this order.
		var o struct {
			UserID      Text `json:"userId"`
			UserIDSnake Text `json:"user_id"`
			ExternalID  Text `json:"externalId"`
			ExternalIDS Text `json:"external_id"`
		}
		if err := json.UnmarshalDecode(dec, &o); err != nil {
			return err
		}
		*m = metamapMetadata(firstNonEmpty(string(o.UserID), string(o.UserIDSnake), string(o.ExternalID), string(o.ExternalIDS)))
		return nil
	}
	return dec.SkipValue()
}

// metamapIdentity maps identityStatus to the outcome.
var metamapIdentity = map[Text]Outcome{
	"verified":     OutcomeApproved,
	"rejected":     OutcomeRejected,
	"reviewNeeded": OutcomePending,
}

// metamapEvents maps the event names to the outcome they carry by
// themselves; verification_completed and verification_updated take the
// identityStatus where it is one of metamapIdentity's.
var metamapEvents = map[Text]Outcome{
	"verification_started":          OutcomePending,
	"verification_inputs_completed": OutcomePending,
	"verification_postponed":        OutcomePending,
	"verification_completed":        OutcomePending,
	"verification_updated":          OutcomePending,
	"step_completed":                OutcomePending,
	"verification_expired":          OutcomeNone,
	"verification_signed":           OutcomeNone,
}

// Normalize maps the webhook to the common event. verification_completed is
// a notification: unless identityStatus says verified, rejected or
// reviewNeeded, its outcome is pending and data.resource names the
// verification to fetch. step_completed reports one check (liveness, face
// match, document reading...): kind verification, outcome pending, the
// step's error as data.error. MetaMap sends no event id and no field that
// tells two deliveries apart: the id is a digest of the body.
func (m *MetaMap) Normalize(d *Delivery) (*Event, error) {
	var p metamapPayload
	if err := decodeObject(d.Body, &p); err != nil {
		return nil, err
	}
	ev := NewEvent("metamap", string(p.EventName), d.Body)
	ev.ID = DerivedID("metamap", d.Body)
	ev.Time = flexTime(string(p.Timestamp))
	outcome, known := metamapEvents[p.EventName]
	if o, ok := metamapIdentity[p.IdentityStatus]; ok &&
		(p.EventName == "verification_completed" || p.EventName == "verification_updated") {
		outcome = o
	}
	switch {
	case known:
		setKind(ev, KindVerification, outcome)
	case strings.HasPrefix(string(p.EventName), "verification_"):
		setKind(ev, KindVerification, OutcomeNone)
	default:
		setKind(ev, KindOther, OutcomeNone)
	}
	if href := resourceHref(string(p.Resource)); href != "" {
		ev.Data.Resource = &Resource{Type: "verification", Href: href}
	}
	if e := &p.Step.V.Error.V; p.EventName == "step_completed" && (e.Code != "" || e.Type != "" || e.Message != "") {
		ev.Data.Error = &EventError{Code: firstNonEmpty(string(e.Code), string(e.Type)), Message: string(e.Message)}
	}
	setUser(ev, User{ExternalID: string(p.Metadata)})
	return ev, nil
}

// Interface guards
var (
	_ Vendor                = (*MetaMap)(nil)
	_ CredentialHeaderer    = (*MetaMap)(nil)
	_ caddy.Provisioner     = (*MetaMap)(nil)
	_ caddyfile.Unmarshaler = (*MetaMap)(nil)
)
