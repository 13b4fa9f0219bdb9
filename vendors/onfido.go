package vendors

import (
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func init() {
	caddy.RegisterModule(Onfido{})
	registerSource("onfido")
}

// Onfido verifies Onfido (Entrust Identity Verification) webhooks
// (documentation.identity.entrust.com/api/manual-webhook-signature-verification):
// X-SHA2-Signature is the hex HMAC-SHA256 of the raw body, keyed with the
// webhook's token. Deliveries carry no time: a replay of a genuine one
// verifies, and only deduplication stops it. Not the same product as the
// entrust vendor (Entrust IDaaS).
type Onfido struct {
	// The webhook's token, shown when the webhook is created. Give it more
	// than once while rotating: any one verifies. Placeholders are resolved
	// when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	sig bodySignature
}

// CaddyModule returns the Caddy module information.
func (Onfido) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.onfido",
		New: func() caddy.Module { return new(Onfido) },
	}
}

// Provision resolves the secrets.
func (o *Onfido) Provision(caddy.Context) error {
	var err error
	o.sig, err = newBodySignature("onfido", "X-SHA2-Signature", "sha256", "hex", "", o.Secrets, ShortSecrets{})
	return err
}

// VerifyHeaders checks, before the body is read, that X-SHA2-Signature is
// there once, in hex.
func (o *Onfido) VerifyHeaders(d *Delivery) error { return o.sig.VerifyHeaders(d) }

// Verify checks the HMAC of the raw body.
func (o *Onfido) Verify(d *Delivery) error { return o.sig.Verify(d) }

// CredentialHeaders names the signature header.
func (o *Onfido) CredentialHeaders() []string { return o.sig.CredentialHeaders() }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	onfido {
//		secret <webhook token>   # repeatable, for rotation
//	}
func (o *Onfido) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		switch d.Val() {
		case "secret":
			if err := ParseRepeated(d, &o.Secrets); err != nil {
				return err
			}
		default:
			return d.Errf("unknown onfido option %q", d.Val())
		}
	}
	return nil
}

// onfidoPayload is what the module reads of the envelope
// {payload{resource_type, action, object{...}, resource{...}}}.
type onfidoPayload struct {
	Payload Obj[onfidoEvent] `json:"payload"`
}

type onfidoEvent struct {
	ResourceType Text `json:"resource_type"`
	Action       Text `json:"action"`
	Object       Obj[struct {
		ID            Text `json:"id"`
		Status        Text `json:"status"`
		StartedAt     Text `json:"started_at_iso8601"`
		CompletedAt   Text `json:"completed_at_iso8601"`
		Href          Text `json:"href"`
		WorkflowRunID Text `json:"workflow_run_id"`
	}] `json:"object"`
	Resource Obj[struct {
		Status         Text  `json:"status"`
		ApplicantID    Text  `json:"applicant_id"`
		CustomerUserID Text  `json:"customer_user_id"`
		Reasons        Texts `json:"reasons"`
		Error          Obj[struct {
			Type    Text `json:"type"`
			Message Text `json:"message"`
		}] `json:"error"`
	}] `json:"resource"`
}

// onfidoRunOutcomes maps a Studio workflow run's final status to the outcome.
var onfidoRunOutcomes = map[Text]Outcome{
	"approved":  OutcomeApproved,
	"declined":  OutcomeRejected,
	"review":    OutcomePending,
	"abandoned": OutcomeNone,
	"error":     OutcomeNone,
}

// onfidoVerification are the resource types that are about a person's
// verification; the others (watchlist monitors, audit logs, files) are kind other.
var onfidoVerification = map[Text]bool{"check": true, "report": true, "workflow_run": true, "workflow_task": true}

// Normalize maps the envelope to the common event. A classic check or
// report notification carries no result ("complete" only): its outcome is
// pending and data.resource names the object to fetch. A Studio
// workflow_run.completed carries the run's decision. Onfido sends no event
// id: it is derived from the action, the object, its workflow run and its
// times, or from the body when there is no object id.
func (o *Onfido) Normalize(d *Delivery) (*Event, error) {
	var env onfidoPayload
	if err := decodeObject(d.Body, &env); err != nil {
		return nil, err
	}
	p := &env.Payload.V
	obj, res := &p.Object.V, &p.Resource.V
	ev := NewEvent("onfido", string(p.Action), d.Body)
	if obj.ID != "" {
		ev.ID = fieldsID("onfido", string(p.Action), string(obj.ID), string(obj.WorkflowRunID),
			string(obj.StartedAt), string(obj.CompletedAt))
		ev.Data.Resource = &Resource{Type: string(p.ResourceType), ID: string(obj.ID), Href: resourceHref(string(obj.Href))}
	} else {
		ev.ID = DerivedID("onfido", d.Body)
	}
	ev.Time = normalTime(firstNonEmpty(string(obj.CompletedAt), string(obj.StartedAt)))
	switch {
	case p.Action == "workflow_run.completed":
		status := obj.Status
		if status == "" {
			status = res.Status
		}
		outcome, ok := onfidoRunOutcomes[status]
		if !ok {
			outcome = OutcomeNone
		}
		setKind(ev, KindVerification, outcome)
		if err := res.Error.V; err.Type != "" || err.Message != "" {
			ev.Data.Error = &EventError{Code: string(err.Type), Message: string(err.Message)}
		} else if outcome == OutcomeRejected && len(res.Reasons) > 0 {
			ev.Data.Error = &EventError{Code: string(res.Reasons[0]), Message: joinTexts(res.Reasons, "; ")}
		}
	case !onfidoVerification[p.ResourceType]:
		setKind(ev, KindOther, OutcomeNone)
	case strings.HasSuffix(string(p.Action), ".withdrawn") || strings.HasSuffix(string(p.Action), ".cancelled"):
		setKind(ev, KindVerification, OutcomeNone)
	default:
		// Started, completed, awaiting approval...: the result, if any,
		// is fetched from the object's href.
		setKind(ev, KindVerification, OutcomePending)
	}
	setUser(ev, User{ID: string(res.ApplicantID), ExternalID: string(res.CustomerUserID)})
	return ev, nil
}

// joinTexts joins the non-empty texts with sep.
func joinTexts(texts Texts, sep string) string {
	var b strings.Builder
	for _, t := range texts {
		if t == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(string(t))
	}
	return b.String()
}

// Interface guards
var (
	_ Vendor                = (*Onfido)(nil)
	_ CredentialHeaderer    = (*Onfido)(nil)
	_ caddy.Provisioner     = (*Onfido)(nil)
	_ caddyfile.Unmarshaler = (*Onfido)(nil)
)
