package vendors

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/verify"
)

func init() {
	caddy.RegisterModule(Didit{})
	registerSource("didit")
}

// Didit verifies Didit webhooks (docs.didit.me/integration/webhooks):
// X-Signature is the hex HMAC-SHA256 of the raw body, keyed with the
// Webhook Secret Key, and X-Timestamp the time of sending in Unix seconds,
// which must be within max_skew of this server's clock. Didit does not say
// whether X-Timestamp is covered by X-Signature: the window limits how
// stale a delivery may be, not who can forge one; a replay with a fresh
// X-Timestamp verifies, and only deduplication stops it. Didit's other
// signatures (X-Signature-V2 over re-encoded JSON, X-Signature-Simple over
// a few fields) are for receivers that cannot see the raw bytes; a proxy
// always can, so they are not checked, only removed.
type Didit struct {
	// The Webhook Secret Key. Give it more than once while rotating: any
	// one verifies. Placeholders are resolved when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	// How far X-Timestamp may be from this server's clock, either way.
	// Default: 5m.
	MaxSkew caddy.Duration `json:"max_skew,omitempty"`

	sig bodySignature
}

// DefaultDiditSkew is the default for max_skew.
const DefaultDiditSkew = 5 * time.Minute

// CaddyModule returns the Caddy module information.
func (Didit) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.didit",
		New: func() caddy.Module { return new(Didit) },
	}
}

// Provision fills the default window and resolves the secrets.
func (v *Didit) Provision(caddy.Context) error {
	if v.MaxSkew == 0 {
		v.MaxSkew = caddy.Duration(DefaultDiditSkew)
	}
	var err error
	v.sig, err = newBodySignature("didit", "X-Signature", "sha256", "hex", "", v.Secrets, ShortSecrets{})
	return err
}

// Validate checks the window.
func (v *Didit) Validate() error {
	if v.MaxSkew < 0 {
		return errors.New("didit max_skew must not be negative")
	}
	return nil
}

var (
	errDiditNoTimestamp = errors.New("no X-Timestamp header")
	errDiditTimestamp   = errors.New("X-Timestamp is not a time in Unix seconds")
)

// timestamp reads X-Timestamp: once, decimal Unix seconds.
func (v *Didit) timestamp(d *Delivery) (time.Time, error) {
	s, ok, err := oneHeader(d.Request.Header, "X-Timestamp")
	switch {
	case err != nil:
		return time.Time{}, err
	case !ok:
		return time.Time{}, Unauthorized("missing_timestamp", errDiditNoTimestamp)
	}
	if len(s) == 0 || len(s) > 12 || s[0] < '0' || s[0] > '9' {
		return time.Time{}, Unauthorized("malformed_timestamp", errDiditTimestamp)
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, Unauthorized("malformed_timestamp", errDiditTimestamp)
	}
	return time.Unix(sec, 0), nil
}

// VerifyHeaders checks, before the body is read, that X-Timestamp is one
// time in Unix seconds and X-Signature is there once, in hex.
func (v *Didit) VerifyHeaders(d *Delivery) error {
	if _, err := v.timestamp(d); err != nil {
		return err
	}
	return v.sig.VerifyHeaders(d)
}

// Verify checks the headers, unless VerifyHeaders did, the HMAC of the raw
// body, then the time: a forgery is reported as a forgery, a genuine but
// stale delivery as stale.
func (v *Didit) Verify(d *Delivery) error {
	if !headerChecked(d) {
		if err := v.VerifyHeaders(d); err != nil {
			return err
		}
	}
	if err := v.sig.Verify(d); err != nil {
		return err
	}
	sent, err := v.timestamp(d)
	if err != nil {
		return err
	}
	skew := time.Duration(v.MaxSkew)
	switch {
	case sent.Before(d.Received.Add(-skew)):
		return Unauthorized("stale_signature", verify.ErrSignatureStale)
	case sent.After(d.Received.Add(skew)):
		return Unauthorized("signature_in_future", verify.ErrSignatureFuture)
	}
	return nil
}

// SignatureWindow implements Skewer.
func (v *Didit) SignatureWindow() time.Duration { return time.Duration(v.MaxSkew) }

// CredentialHeaders names the three signature headers.
func (v *Didit) CredentialHeaders() []string {
	return []string{"X-Signature", "X-Signature-V2", "X-Signature-Simple"}
}

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	didit {
//		secret <webhook secret key>   # repeatable, for rotation
//		max_skew <duration>           # default 5m, either way
//	}
func (v *Didit) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "secret":
			err = ParseRepeated(d, &v.Secrets)
		case "max_skew":
			v.MaxSkew, err = ParseDuration(d)
		default:
			return d.Errf("unknown didit option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// diditPayload is what the module reads of a webhook.
type diditPayload struct {
	SessionID   Text `json:"session_id"`
	Status      Text `json:"status"`
	WebhookType Text `json:"webhook_type"`
	VendorData  Text `json:"vendor_data"`
	CreatedAt   Text `json:"created_at"`
	Timestamp   Text `json:"timestamp"`
	Decision    Obj[struct {
		LivenessChecks Arr[diditScore] `json:"liveness_checks"`
		FaceMatch      Obj[diditScore] `json:"face_match"`
		FaceMatches    Arr[diditScore] `json:"face_matches"`
	}] `json:"decision"`
}

// diditScore is one check's score, 0 to 100.
type diditScore struct {
	Score Text `json:"score"`
}

// diditOutcomes maps the session status (exact, case-sensitive words) to
// the outcome.
var diditOutcomes = map[Text]Outcome{
	"Approved":    OutcomeApproved,
	"Declined":    OutcomeRejected,
	"In Review":   OutcomePending,
	"Resubmitted": OutcomePending,
	"In Progress": OutcomePending,
	"Not Started": OutcomePending,
	"Expired":     OutcomeNone,
	"Abandoned":   OutcomeNone,
	"Kyc Expired": OutcomeNone,
}

// Normalize maps a session webhook (status.updated, data.updated) to the
// common event; other webhook types (users, businesses, transactions) are
// kind other. The scores come from the decision: scores.match is the face
// match score over 100; scores.spoof is 1 - the liveness score over 100
// (Didit's liveness score is high for a live person). Where there are
// several checks the lowest score counts, the least favourable to the
// person. Didit sends no event id: it is derived from session_id,
// webhook_type, status and the payload's timestamp.
func (v *Didit) Normalize(d *Delivery) (*Event, error) {
	var p diditPayload
	if err := decodeObject(d.Body, &p); err != nil {
		return nil, err
	}
	ev := NewEvent("didit", string(p.WebhookType), d.Body)
	if p.SessionID != "" {
		ev.ID = fieldsID("didit", string(p.SessionID), string(p.WebhookType), string(p.Status), string(p.Timestamp))
	} else {
		ev.ID = DerivedID("didit", d.Body)
	}
	ev.Time = flexTime(firstNonEmpty(string(p.Timestamp), string(p.CreatedAt)))
	switch p.WebhookType {
	case "", "status.updated", "data.updated":
		outcome, ok := diditOutcomes[p.Status]
		if !ok {
			outcome = OutcomeNone
		}
		if p.SessionID != "" || ok {
			setKind(ev, KindVerification, outcome)
		} else {
			setKind(ev, KindOther, OutcomeNone)
		}
	default:
		setKind(ev, KindOther, OutcomeNone)
	}
	setUser(ev, User{ExternalID: string(p.VendorData)})
	dec := &p.Decision.V
	var scores Scores
	if live, ok := lowestScore(dec.LivenessChecks); ok {
		spoof := hundredths(100 - live)
		scores.Spoof = &spoof
	}
	match, ok := lowestScore(dec.FaceMatches)
	if fm, fmOK := percentScore(dec.FaceMatch.V.Score); fmOK && (!ok || fm < match) {
		match, ok = fm, true
	}
	if ok {
		match = hundredths(match)
		scores.Match = &match
	}
	if scores != (Scores{}) {
		ev.Data.Scores = &scores
	}
	return ev, nil
}

// percentScore reads a score from 0 to 100; anything else is no score.
func percentScore(t Text) (float64, bool) {
	if t == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(t), 64)
	if err != nil || !(f >= 0 && f <= 100) { // NaN too
		return 0, false
	}
	return f, true
}

// hundredths is n/100 rounded to six places, so that a score sent with two
// decimals reads as written (89.92 -> 0.1008 spoof, not 0.10079999999999999).
func hundredths(n float64) float64 { return math.Round(n*1e4) / 1e6 }

// lowestScore is the lowest readable score of the checks.
func lowestScore(checks Arr[diditScore]) (float64, bool) {
	low, found := 0.0, false
	for _, c := range checks {
		if s, ok := percentScore(c.Score); ok && (!found || s < low) {
			low, found = s, true
		}
	}
	return low, found
}

// Interface guards
var (
	_ Vendor                = (*Didit)(nil)
	_ CredentialHeaderer    = (*Didit)(nil)
	_ Skewer                = (*Didit)(nil)
	_ caddy.Provisioner     = (*Didit)(nil)
	_ caddy.Validator       = (*Didit)(nil)
	_ caddyfile.Unmarshaler = (*Didit)(nil)
)
