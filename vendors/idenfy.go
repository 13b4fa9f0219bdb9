package vendors

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func init() {
	caddy.RegisterModule(IDenfy{})
	registerSource("idenfy")
}

// IDenfy verifies iDenfy identification webhooks
// (documentation.idenfy.com/security/callback-signing): Idenfy-Signature is
// the hex HMAC-SHA256 of the raw body, keyed with the signing key set for
// the webhook. Deliveries carry no time: a replay of a genuine one
// verifies, and only deduplication stops it.
type IDenfy struct {
	// The webhook's signing key. Give it more than once while rotating: any
	// one verifies. Placeholders are resolved when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	sig bodySignature
}

// CaddyModule returns the Caddy module information.
func (IDenfy) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.idenfy",
		New: func() caddy.Module { return new(IDenfy) },
	}
}

// Provision resolves the secrets.
func (v *IDenfy) Provision(caddy.Context) error {
	var err error
	v.sig, err = newBodySignature("idenfy", "Idenfy-Signature", "sha256", "hex", "", v.Secrets, ShortSecrets{})
	return err
}

// VerifyHeaders checks, before the body is read, that Idenfy-Signature is
// there once, in hex.
func (v *IDenfy) VerifyHeaders(d *Delivery) error { return v.sig.VerifyHeaders(d) }

// Verify checks the HMAC of the raw body.
func (v *IDenfy) Verify(d *Delivery) error { return v.sig.Verify(d) }

// CredentialHeaders names the signature header.
func (v *IDenfy) CredentialHeaders() []string { return v.sig.CredentialHeaders() }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	idenfy {
//		secret <signing key>   # repeatable, for rotation
//	}
func (v *IDenfy) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		switch d.Val() {
		case "secret":
			if err := ParseRepeated(d, &v.Secrets); err != nil {
				return err
			}
		default:
			return d.Errf("unknown idenfy option %q", d.Val())
		}
	}
	return nil
}

// idenfyPayload is what the module reads of an identification webhook.
type idenfyPayload struct {
	Final  Flag `json:"final"`
	Status Obj[struct {
		Overall    Text `json:"overall"`
		AutoFace   Text `json:"autoFace"`
		ManualFace Text `json:"manualFace"`
	}] `json:"status"`
	Data Obj[struct {
		FirstName      Text `json:"docFirstName"`
		LastName       Text `json:"docLastName"`
		Number         Text `json:"docNumber"`
		Expiry         Text `json:"docExpiry"`
		DateOfBirth    Text `json:"docDob"`
		Type           Text `json:"docType"`
		IssuingCountry Text `json:"docIssuingCountry"`
		Nationality    Text `json:"docNationality"`
	}] `json:"data"`
	ScanRef    Text `json:"scanRef"`
	ClientID   Text `json:"clientId"`
	StartTime  Text `json:"startTime"`
	FinishTime Text `json:"finishTime"`
}

// idenfyOutcomes maps status.overall to the kind and outcome.
var idenfyOutcomes = map[Text]struct {
	kind    Kind
	outcome Outcome
}{
	"APPROVED":        {KindVerification, OutcomeApproved},
	"DENIED":          {KindVerification, OutcomeRejected},
	"SUSPECTED":       {KindVerification, OutcomePending},
	"REVIEWING":       {KindVerification, OutcomePending},
	"ACTIVE":          {KindVerification, OutcomePending},
	"EXPIRED":         {KindVerification, OutcomeNone},
	"ARCHIVED":        {KindVerification, OutcomeNone},
	"DELETED":         {KindDeletion, OutcomeNone},
	"EXPIRED-DELETED": {KindDeletion, OutcomeNone},
}

// Normalize maps the webhook to the common event. iDenfy sends no event id:
// it is derived from scanRef, the overall status and the final flag. The
// face result, the manual one where a reviewer gave it, becomes
// signals.face_match (FACE_MATCH, FACE_MISMATCH) and signals.spoof
// (FAKE_FACE); other face results say neither.
func (v *IDenfy) Normalize(d *Delivery) (*Event, error) {
	var p idenfyPayload
	if err := decodeObject(d.Body, &p); err != nil {
		return nil, err
	}
	status, data := &p.Status.V, &p.Data.V
	ev := NewEvent("idenfy", string(status.Overall), d.Body)
	if p.ScanRef != "" {
		ev.ID = fieldsID("idenfy", string(p.ScanRef), string(status.Overall), string(p.Final))
	} else {
		ev.ID = DerivedID("idenfy", d.Body)
	}
	ev.Time = flexTime(firstNonEmpty(string(p.FinishTime), string(p.StartTime)))
	if m, ok := idenfyOutcomes[status.Overall]; ok {
		setKind(ev, m.kind, m.outcome)
	} else if p.ScanRef != "" {
		setKind(ev, KindVerification, OutcomeNone)
	} else {
		setKind(ev, KindOther, OutcomeNone)
	}
	setUser(ev, User{ExternalID: string(p.ClientID), Name: joinName(string(data.FirstName), string(data.LastName))})
	setDocument(ev, Document{
		Type:           string(data.Type),
		Number:         string(data.Number),
		IssuingCountry: string(data.IssuingCountry),
		Nationality:    string(data.Nationality),
		DateOfBirth:    string(data.DateOfBirth),
		DateOfExpiry:   string(data.Expiry),
	})
	face := status.ManualFace
	if face == "" {
		face = status.AutoFace
	}
	switch face {
	case "FACE_MATCH":
		ev.Data.Signals = &Signals{FaceMatch: boolPtr(true)}
	case "FACE_MISMATCH":
		ev.Data.Signals = &Signals{FaceMatch: boolPtr(false)}
	case "FAKE_FACE":
		ev.Data.Signals = &Signals{Spoof: boolPtr(true)}
	}
	return ev, nil
}

func boolPtr(b bool) *bool { return &b }

// Interface guards
var (
	_ Vendor                = (*IDenfy)(nil)
	_ CredentialHeaderer    = (*IDenfy)(nil)
	_ caddy.Provisioner     = (*IDenfy)(nil)
	_ caddyfile.Unmarshaler = (*IDenfy)(nil)
)
