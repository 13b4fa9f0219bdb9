package vendors

import (
	"errors"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/verify"
)

func init() {
	caddy.RegisterModule(Veriff{})
	registerSource("veriff")
}

// Veriff verifies Veriff webhooks (devdocs.veriff.com/docs/webhooks-guide):
// X-HMAC-SIGNATURE is the hex HMAC-SHA256 of the raw body, keyed with the
// integration's shared secret key. Deliveries carry no time: a replay of a
// genuine one verifies, and only deduplication (dedupe, or the app on the
// event id) stops it.
type Veriff struct {
	// The integration's shared secret key. Give it more than once while
	// rotating: any one verifies. Placeholders such as {env.X} and
	// {file./path} are resolved when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	// The integration's API key. When set, X-AUTH-CLIENT must equal it. The
	// API key is not a secret of signing grade (it travels in every API
	// call); the check narrows what a route accepts, the signature proves.
	APIKey string `json:"api_key,omitempty"`

	sig    bodySignature
	apiKey string
}

// CaddyModule returns the Caddy module information.
func (Veriff) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.veriff",
		New: func() caddy.Module { return new(Veriff) },
	}
}

// Provision resolves the secrets and the API key.
func (v *Veriff) Provision(caddy.Context) error {
	var err error
	if v.sig, err = newBodySignature("veriff", "X-HMAC-Signature", "sha256", "hex", "", v.Secrets, ShortSecrets{}); err != nil {
		return err
	}
	if v.APIKey != "" {
		v.apiKey, err = ResolveSecret("veriff api_key", v.APIKey)
	}
	return err
}

var (
	errVeriffNoAPIKey = errors.New("no X-AUTH-CLIENT header")
	errVeriffAPIKey   = errors.New("X-AUTH-CLIENT is not the configured API key")
)

// VerifyHeaders checks, before the body is read, X-AUTH-CLIENT (when an API
// key is configured) and that X-HMAC-SIGNATURE is there once, in hex.
func (v *Veriff) VerifyHeaders(d *Delivery) error {
	if v.apiKey != "" {
		got, ok, err := oneHeader(d.Request.Header, "X-Auth-Client")
		switch {
		case err != nil:
			return err
		case !ok:
			return Unauthorized("missing_api_key", errVeriffNoAPIKey)
		case !verify.EqualString(got, v.apiKey):
			return Unauthorized("api_key_mismatch", errVeriffAPIKey)
		}
	}
	return v.sig.VerifyHeaders(d)
}

// Verify checks the headers, unless VerifyHeaders did, then the HMAC of the
// raw body.
func (v *Veriff) Verify(d *Delivery) error {
	if !headerChecked(d) {
		if err := v.VerifyHeaders(d); err != nil {
			return err
		}
	}
	return v.sig.Verify(d)
}

// CredentialHeaders names the signature and the API key.
func (v *Veriff) CredentialHeaders() []string { return []string{"X-Hmac-Signature", "X-Auth-Client"} }

// Acknowledge answers exactly 200 when the app accepted the event with
// another 2xx: Veriff retries any answer but 200, hourly for a week. A 200
// and every non-2xx answer pass unchanged.
func (v *Veriff) Acknowledge(status int, _ http.Header) (Answer, bool) { return exactly200(status) }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	veriff {
//		secret <shared secret key>   # repeatable, for rotation
//		api_key <API key>            # optional: X-AUTH-CLIENT must equal it
//	}
func (v *Veriff) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "secret":
			err = ParseRepeated(d, &v.Secrets)
		case "api_key":
			v.APIKey, err = ParseOneArg(d)
		default:
			return d.Errf("unknown veriff option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// veriffPayload is what the module reads of a decision webhook
// ({status, verification{...}, technicalData}) or an event webhook
// ({id, attemptId, feature, code, action, vendorData}); the whole payload
// travels in the event's raw field.
type veriffPayload struct {
	Verification Obj[veriffVerification] `json:"verification"`

	// The event webhook's fields.
	ID         Text `json:"id"`
	AttemptID  Text `json:"attemptId"`
	Code       Text `json:"code"`
	Action     Text `json:"action"`
	VendorData Text `json:"vendorData"`
	EndUserID  Text `json:"endUserId"`
}

type veriffVerification struct {
	ID             Text `json:"id"`
	AttemptID      Text `json:"attemptId"`
	Code           Text `json:"code"`
	Status         Text `json:"status"`
	Reason         Text `json:"reason"`
	ReasonCode     Text `json:"reasonCode"`
	VendorData     Text `json:"vendorData"`
	EndUserID      Text `json:"endUserId"`
	DecisionTime   Text `json:"decisionTime"`
	AcceptanceTime Text `json:"acceptanceTime"`
	Person         Obj[struct {
		FirstName   Text `json:"firstName"`
		LastName    Text `json:"lastName"`
		DateOfBirth Text `json:"dateOfBirth"`
		Nationality Text `json:"nationality"`
	}] `json:"person"`
	Document Obj[struct {
		Type       Text `json:"type"`
		Number     Text `json:"number"`
		Country    Text `json:"country"`
		ValidUntil Text `json:"validUntil"`
	}] `json:"document"`
	// Present in biometric authentication sessions, which compare a face
	// with an earlier session's.
	BiometricAuthentication Obj[struct{}] `json:"biometricAuthentication"`
}

// veriffOutcomes maps verification.status to the outcome.
var veriffOutcomes = map[Text]Outcome{
	"approved":               OutcomeApproved,
	"declined":               OutcomeRejected,
	"resubmission_requested": OutcomePending,
	"review":                 OutcomePending,
	"expired":                OutcomeNone,
	"abandoned":              OutcomeNone,
}

// Normalize maps a decision webhook or an event webhook to the common
// event. Veriff sends no event id: a decision's is derived from the
// session, the attempt and the status code, an event's from the session,
// the attempt, the action and its code; a payload of neither shape gets a
// digest of the body and kind other.
func (v *Veriff) Normalize(d *Delivery) (*Event, error) {
	var p veriffPayload
	if err := decodeObject(d.Body, &p); err != nil {
		return nil, err
	}
	if p.Verification.Present {
		return veriffDecision(d.Body, &p.Verification.V), nil
	}
	ev := NewEvent("veriff", string(p.Action), d.Body)
	if p.ID == "" || p.Action == "" {
		ev.ID = DerivedID("veriff", d.Body)
		setKind(ev, KindOther, OutcomeNone)
		return ev, nil
	}
	ev.ID = fieldsID("veriff", "event", string(p.ID), string(p.AttemptID), string(p.Action), string(p.Code))
	// started and submitted: a decision is still to come.
	setKind(ev, KindVerification, OutcomePending)
	setUser(ev, User{ExternalID: firstNonEmpty(string(p.VendorData), string(p.EndUserID))})
	return ev, nil
}

func veriffDecision(body []byte, vf *veriffVerification) *Event {
	ev := NewEvent("veriff", string(vf.Status), body)
	if vf.ID != "" {
		ev.ID = fieldsID("veriff", "decision", string(vf.ID), string(vf.AttemptID), string(vf.Code))
	} else {
		ev.ID = DerivedID("veriff", body)
	}
	ev.Time = normalTime(string(vf.DecisionTime))
	kind := KindVerification
	if vf.BiometricAuthentication.Present {
		kind = KindAuthentication
	}
	outcome, ok := veriffOutcomes[vf.Status]
	if !ok {
		outcome = OutcomeNone
	}
	setKind(ev, kind, outcome)
	person, doc := &vf.Person.V, &vf.Document.V
	setUser(ev, User{
		ExternalID: firstNonEmpty(string(vf.VendorData), string(vf.EndUserID)),
		Name:       joinName(string(person.FirstName), string(person.LastName)),
	})
	setDocument(ev, Document{
		Type:           string(doc.Type),
		Number:         string(doc.Number),
		IssuingCountry: string(doc.Country),
		Nationality:    string(person.Nationality),
		DateOfBirth:    string(person.DateOfBirth),
		DateOfExpiry:   string(doc.ValidUntil),
	})
	if (outcome == OutcomeRejected || vf.Status == "resubmission_requested") && (vf.ReasonCode != "" || vf.Reason != "") {
		ev.Data.Error = &EventError{Code: string(vf.ReasonCode), Message: string(vf.Reason)}
	}
	return ev
}

// Interface guards
var (
	_ Vendor                = (*Veriff)(nil)
	_ CredentialHeaderer    = (*Veriff)(nil)
	_ Acknowledger          = (*Veriff)(nil)
	_ caddy.Provisioner     = (*Veriff)(nil)
	_ caddyfile.Unmarshaler = (*Veriff)(nil)
)
