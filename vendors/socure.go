package vendors

import (
	"errors"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json"
)

func init() {
	caddy.RegisterModule(Socure{})
	builtinSources["socure"] = "urn:biohook:socure"
}

// Socure verifies Socure RiskOS webhooks. RiskOS signs nothing: a webhook
// is set up with Basic credentials or a bearer token, which RiskOS sends in
// the Authorization header. (RiskOS's third mode, OAuth 2.0 client
// credentials against a token URL of yours, is not supported.)
type Socure struct {
	AuthCredentials

	auth authCheck
}

// CaddyModule returns the Caddy module information.
func (Socure) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.socure",
		New: func() caddy.Module { return new(Socure) },
	}
}

var errSocureNoCredential = errors.New("no socure credential configured: set `basic <user> <password>` or `bearer <token>` " +
	"as set up for the webhook in the RiskOS dashboard (RiskOS signs nothing, so a route without one accepts anyone's deliveries)")

// Provision resolves the credentials.
func (s *Socure) Provision(caddy.Context) (err error) {
	if !s.configured() {
		return errSocureNoCredential
	}
	s.auth, err = s.AuthCredentials.provision("socure")
	return err
}

// VerifyHeader checks the Authorization header, before the body is read.
func (s *Socure) VerifyHeaders(d *Delivery) error { return s.auth.check(d.Request.Header) }

// Verify checks the Authorization header.
func (s *Socure) Verify(d *Delivery) error { return s.auth.check(d.Request.Header) }

// socurePayload is the part of a RiskOS event the module reads. Members
// not listed are ignored and travel in raw; a listed member of another
// JSON type is refused.
type socurePayload struct {
	EventID   string `json:"event_id"`
	EventAt   string `json:"event_at"`
	EventType string `json:"event_type"`
	Data      struct {
		ID              string `json:"id"`
		EvalID          string `json:"eval_id"`
		Decision        string `json:"decision"`
		DataEnrichments []struct {
			Name string `json:"enrichment_name"`
		} `json:"data_enrichments"`
	} `json:"data"`
}

var errSocurePayload = errors.New("event_type is missing")

func decodeSocure(body []byte) (*socurePayload, error) {
	p := new(socurePayload)
	if err := json.Unmarshal(body, p); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if p.EventType == "" {
		return nil, BadPayload("invalid_payload", errSocurePayload)
	}
	return p, nil
}

// Normalize maps the event to the common event: a verification (a Selfie
// Reverification, an authentication) whose outcome is RiskOS's decision.
func (s *Socure) Normalize(d *Delivery) (*Event, error) {
	p, err := decodeSocure(d.Body)
	if err != nil {
		return nil, err
	}
	ev := NewEvent("socure", p.EventType, d.Body)
	ev.ID = p.EventID
	if ev.ID == "" {
		ev.ID = DerivedID("socure", d.Body)
	}
	ev.Time = normalTime(p.EventAt)
	ev.Type, ev.Data.Kind = TypeIdentityVerification, KindVerification
	if p.selfieReverification() {
		ev.Type, ev.Data.Kind = TypeIdentityAuthentication, KindAuthentication
	}
	ev.Data.Outcome = socureOutcome(p.EventType, p.Data.Decision)
	if p.Data.ID != "" {
		ev.Subject = p.Data.ID
		ev.Data.User = &User{ExternalID: p.Data.ID}
	}
	if ev.Data.Outcome == OutcomePending && p.Data.EvalID != "" {
		ev.Data.Resource = &Resource{Type: "evaluation", ID: p.Data.EvalID}
	}
	return ev, nil
}

// socureOutcome maps RiskOS's decision: ACCEPT approved, REJECT rejected,
// any other (REVIEW, RESUBMIT, a workflow's own) or none pending; a failed
// workflow execution decides nothing.
func socureOutcome(eventType, decision string) Outcome {
	switch {
	case eventType == "workflow_execution_failed":
		return OutcomeNone
	case strings.EqualFold(decision, "ACCEPT"):
		return OutcomeApproved
	case strings.EqualFold(decision, "REJECT"):
		return OutcomeRejected
	}
	return OutcomePending
}

// selfieReverification reports whether the evaluation ran Selfie
// Reverification, which matches a returning user's new selfie to the one
// of an accepted document verification: an authentication. It is told by
// an enrichment named for it ("Selfie Reverification", in any case, with
// spaces, underscores or hyphens, or none).
func (p *socurePayload) selfieReverification() bool {
	for _, e := range p.Data.DataEnrichments {
		if containsFoldLetters(e.Name, "selfiereverification") {
			return true
		}
	}
	return false
}

// containsFoldLetters reports whether s, without case and without the
// separators ' ', '_' and '-', contains want (lower-case letters).
func containsFoldLetters(s, want string) bool {
	for start := 0; start < len(s); start++ {
		i, j := start, 0
		for i < len(s) && j < len(want) {
			c := s[i]
			if c == ' ' || c == '_' || c == '-' {
				if j == 0 {
					break
				}
				i++
				continue
			}
			if c|0x20 != want[j] {
				break
			}
			i++
			j++
		}
		if j == len(want) {
			return true
		}
	}
	return false
}

// Acknowledge answers exactly 200 for any 2xx: RiskOS expects a 200.
func (s *Socure) Acknowledge(status int, _ http.Header) (Answer, bool) { return exactly200(status) }

// CredentialHeaders names the Authorization header.
func (s *Socure) CredentialHeaders() []string { return []string{authorization} }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	socure {
//		basic <user> <password>   # repeatable, for rotation
//		bearer <token>            # repeatable, for rotation
//	}
func (s *Socure) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		handled, err := s.AuthCredentials.unmarshalOption(d)
		if !handled {
			return d.Errf("unknown socure option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Interface guards
var (
	_ Vendor                = (*Socure)(nil)
	_ HeaderVerifier        = (*Socure)(nil)
	_ CredentialHeaderer    = (*Socure)(nil)
	_ Acknowledger          = (*Socure)(nil)
	_ caddy.Provisioner     = (*Socure)(nil)
	_ caddyfile.Unmarshaler = (*Socure)(nil)
)
