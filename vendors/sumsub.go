package vendors

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func init() {
	caddy.RegisterModule(Sumsub{})
	registerSource("sumsub")
}

// Sumsub verifies Sumsub webhooks (docs.sumsub.com/docs/webhook-manager):
// X-Payload-Digest is the hex HMAC of the raw body, keyed with the
// webhook's secret key, with the hash chosen per webhook (SHA-256 by
// default, SHA-512, or the legacy SHA-1); X-Payload-Digest-Alg names it.
// The route pins the hash: a delivery whose X-Payload-Digest-Alg names
// another is refused, so the header never chooses what is checked.
// Deliveries carry no signed time: a replay of a genuine one verifies, and
// only deduplication stops it.
type Sumsub struct {
	// The webhook's secret key. Give it more than once while rotating: any
	// one verifies. Placeholders are resolved when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	// The hash set for the webhook in Sumsub's Webhook manager: sha256
	// (default), sha512 or sha1.
	Algorithm string `json:"algorithm,omitempty"`

	sig     bodySignature
	algName string // what X-Payload-Digest-Alg must say
}

// sumsubAlgorithms are the algorithm settings and the names Sumsub sends for them.
var sumsubAlgorithms = map[string]string{
	"sha1":   "HMAC_SHA1_HEX",
	"sha256": "HMAC_SHA256_HEX",
	"sha512": "HMAC_SHA512_HEX",
}

// CaddyModule returns the Caddy module information.
func (Sumsub) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.sumsub",
		New: func() caddy.Module { return new(Sumsub) },
	}
}

// Provision fills the default algorithm and resolves the secrets.
func (s *Sumsub) Provision(caddy.Context) error {
	if s.Algorithm == "" {
		s.Algorithm = "sha256"
	}
	name, ok := sumsubAlgorithms[s.Algorithm]
	if !ok {
		return fmt.Errorf("sumsub algorithm must be sha256, sha512 or sha1, not %q", s.Algorithm)
	}
	s.algName = name
	var err error
	s.sig, err = newBodySignature("sumsub", "X-Payload-Digest", s.Algorithm, "hex", "", s.Secrets, ShortSecrets{})
	return err
}

var (
	errSumsubNoAlg = errors.New("no X-Payload-Digest-Alg header")
	errSumsubAlg   = errors.New("X-Payload-Digest-Alg names another algorithm than the route's")
)

// VerifyHeaders checks, before the body is read, that X-Payload-Digest-Alg
// names the configured algorithm and that X-Payload-Digest is there once,
// in hex.
func (s *Sumsub) VerifyHeaders(d *Delivery) error {
	alg, ok, err := oneHeader(d.Request.Header, "X-Payload-Digest-Alg")
	switch {
	case err != nil:
		return err
	case !ok:
		return Unauthorized("missing_algorithm", errSumsubNoAlg)
	case !strings.EqualFold(strings.TrimSpace(alg), s.algName):
		return Unauthorized("algorithm_mismatch", errSumsubAlg)
	}
	return s.sig.VerifyHeaders(d)
}

// Verify checks the headers, unless VerifyHeaders did, then the HMAC of the
// raw body.
func (s *Sumsub) Verify(d *Delivery) error {
	if !headerChecked(d) {
		if err := s.VerifyHeaders(d); err != nil {
			return err
		}
	}
	return s.sig.Verify(d)
}

// CredentialHeaders names the digest header.
func (s *Sumsub) CredentialHeaders() []string { return s.sig.CredentialHeaders() }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	sumsub {
//		secret <secret key>          # repeatable, for rotation
//		algorithm sha256|sha512|sha1 # default sha256
//	}
func (s *Sumsub) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "secret":
			err = ParseRepeated(d, &s.Secrets)
		case "algorithm":
			s.Algorithm, err = ParseOneArg(d)
			if _, ok := sumsubAlgorithms[s.Algorithm]; err == nil && !ok {
				return d.Errf("sumsub algorithm takes sha256, sha512 or sha1, not %q", s.Algorithm)
			}
		default:
			return d.Errf("unknown sumsub option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sumsubPayload is what the module reads of an applicant webhook.
type sumsubPayload struct {
	ApplicantID    Text `json:"applicantId"`
	CorrelationID  Text `json:"correlationId"`
	ExternalUserID Text `json:"externalUserId"`
	Type           Text `json:"type"`
	CreatedAtMs    Text `json:"createdAtMs"`
	CreatedAt      Text `json:"createdAt"`
	ReviewResult   Obj[struct {
		ReviewAnswer      Text  `json:"reviewAnswer"`
		RejectLabels      Texts `json:"rejectLabels"`
		ReviewRejectType  Text  `json:"reviewRejectType"`
		ModerationComment Text  `json:"moderationComment"`
	}] `json:"reviewResult"`
}

// sumsubTypes maps the webhook types to a kind and an outcome; "review"
// means the outcome is the review result's.
var sumsubTypes = map[Text]struct {
	kind    Kind
	outcome Outcome
	review  bool
}{
	"applicantCreated":             {KindVerification, OutcomePending, false},
	"applicantPending":             {KindVerification, OutcomePending, false},
	"applicantOnHold":              {KindVerification, OutcomePending, false},
	"applicantReviewed":            {KindVerification, OutcomeNone, true},
	"applicantWorkflowCompleted":   {KindVerification, OutcomeNone, true},
	"applicantActionPending":       {KindAuthentication, OutcomePending, false},
	"applicantActionOnHold":        {KindAuthentication, OutcomePending, false},
	"applicantActionReviewed":      {KindAuthentication, OutcomeNone, true},
	"applicantDeleted":             {KindDeletion, OutcomeNone, false},
	"applicantPersonalDataDeleted": {KindDeletion, OutcomeNone, false},
}

// Normalize maps the webhook to the common event. The id is correlationId,
// Sumsub's id of the event, or a digest of the body when there is none.
// A review is GREEN (approved) or RED: FINAL (rejected) or RETRY (pending:
// the applicant may try again); RED without a reject type counts as final.
// The applicantAction* webhooks, about actions such as a liveness re-check
// of a verified applicant, are kind authentication.
func (s *Sumsub) Normalize(d *Delivery) (*Event, error) {
	var p sumsubPayload
	if err := decodeObject(d.Body, &p); err != nil {
		return nil, err
	}
	ev := NewEvent("sumsub", string(p.Type), d.Body)
	ev.ID = string(p.CorrelationID)
	if ev.ID == "" {
		ev.ID = DerivedID("sumsub", d.Body)
	}
	ev.Time = sumsubTime(firstNonEmpty(string(p.CreatedAtMs), string(p.CreatedAt)))
	rr := &p.ReviewResult.V
	m, known := sumsubTypes[p.Type]
	switch {
	case known && m.review:
		setKind(ev, m.kind, sumsubReview(rr.ReviewAnswer, rr.ReviewRejectType))
	case known:
		setKind(ev, m.kind, m.outcome)
	case strings.HasPrefix(string(p.Type), "applicant") || strings.HasPrefix(string(p.Type), "videoIdent"):
		setKind(ev, KindVerification, OutcomeNone)
	default:
		setKind(ev, KindOther, OutcomeNone)
	}
	if rr.ReviewAnswer == "RED" {
		if code, msg := joinTexts(rr.RejectLabels, ","), string(rr.ModerationComment); code != "" || msg != "" {
			ev.Data.Error = &EventError{Code: code, Message: msg}
		}
	}
	setUser(ev, User{ID: string(p.ApplicantID), ExternalID: string(p.ExternalUserID)})
	return ev, nil
}

func sumsubReview(answer, rejectType Text) Outcome {
	switch {
	case answer == "GREEN":
		return OutcomeApproved
	case answer == "RED" && rejectType == "RETRY":
		return OutcomePending
	case answer == "RED":
		return OutcomeRejected
	}
	return OutcomeNone
}

// sumsubTime reads createdAtMs, "yyyy-MM-dd HH:mm:ss.fff" in UTC, into
// RFC 3339; other forms go through flexTime.
func sumsubTime(s string) string {
	if t, err := time.Parse("2006-01-02 15:04:05.999999999", s); err == nil {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return flexTime(s)
}

// Interface guards
var (
	_ Vendor                = (*Sumsub)(nil)
	_ CredentialHeaderer    = (*Sumsub)(nil)
	_ caddy.Provisioner     = (*Sumsub)(nil)
	_ caddyfile.Unmarshaler = (*Sumsub)(nil)
)
