package vendors

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/verify"
)

func init() {
	caddy.RegisterModule(StandardWebhooks{})
}

// StandardWebhooks verifies senders that follow the Standard Webhooks
// specification (standardwebhooks.com): headers webhook-id,
// webhook-timestamp and webhook-signature, the last a space-separated list
// of "v1,<base64 HMAC-SHA256>" or "v1a,<base64 ed25519>" signatures over
// "<id>.<timestamp>.<body>". Events have the delivery's id and time, kind
// other and outcome none, unless a mapping says more.
type StandardWebhooks struct {
	// The vendor's name in events (data.vendor, source urn:biohook:<name>):
	// lower-case letters, digits and underscores. Default: standard_webhooks.
	VendorName string `json:"vendor_name,omitempty"`

	// Symmetric secrets, "whsec_<base64>", for v1 signatures. Give more than
	// one while rotating: any one verifies. Placeholders are resolved when
	// the config loads.
	Secrets []string `json:"secrets,omitempty"`

	// Ed25519 public keys, "whpk_<base64>", for v1a signatures. Repeatable.
	PublicKeys []string `json:"public_keys,omitempty"`

	// How far webhook-timestamp may be from this server's clock, either
	// way. Default: 5m.
	Tolerance caddy.Duration `json:"tolerance,omitempty"`

	// Where the event's id, time, subject, name and outcome are in the
	// payload. Default: the event name at /type.
	Mapping *Mapping `json:"mapping,omitempty"`

	verifier verify.SWVerifier
}

// CaddyModule returns the Caddy module information.
func (StandardWebhooks) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.standard_webhooks",
		New: func() caddy.Module { return new(StandardWebhooks) },
	}
}

// DefaultSWTolerance is the default for tolerance.
const DefaultSWTolerance = 5 * time.Minute

// Provision fills the defaults, decodes the keys and compiles the mapping.
func (s *StandardWebhooks) Provision(caddy.Context) error {
	if s.VendorName == "" {
		s.VendorName = "standard_webhooks"
	}
	if s.Tolerance == 0 {
		s.Tolerance = caddy.Duration(DefaultSWTolerance)
	}
	if len(s.Secrets) == 0 && len(s.PublicKeys) == 0 {
		return errors.New("no standard_webhooks secret or public_key configured: every route must prove its deliveries")
	}
	if err := s.provisionKeys(); err != nil {
		return err
	}
	if s.Mapping == nil {
		s.Mapping = new(Mapping)
	}
	if s.Mapping.Event == "" {
		s.Mapping.Event = "/type"
	}
	return s.Mapping.Provision()
}

func (s *StandardWebhooks) provisionKeys() error {
	keys := make([][]byte, 0, len(s.Secrets))
	for i, c := range s.Secrets {
		what := fmt.Sprintf("standard_webhooks secret #%d", i+1)
		v, err := ResolveSecret(what, c)
		if err != nil {
			return err
		}
		k, err := verify.ParseSWSecret(v)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		keys = append(keys, k)
	}
	pks := make([]ed25519.PublicKey, 0, len(s.PublicKeys))
	for i, c := range s.PublicKeys {
		what := fmt.Sprintf("standard_webhooks public_key #%d", i+1)
		v, err := ResolveValue(what, c)
		if err != nil {
			return err
		}
		pk, err := verify.ParseSWPublicKey(v)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		pks = append(pks, pk)
	}
	s.verifier = verify.SWVerifier{Secrets: verify.NewSecrets(keys), PublicKeys: pks, Tolerance: time.Duration(s.Tolerance)}
	return nil
}

// Validate checks the settings that need no resolving.
func (s *StandardWebhooks) Validate() error {
	if s.Tolerance < 0 {
		return errors.New("standard_webhooks tolerance must not be negative")
	}
	if !vendorNamePattern.MatchString(s.VendorName) {
		return fmt.Errorf("standard_webhooks: name %q: use lower-case letters, digits and underscores", s.VendorName)
	}
	return nil
}

var swHeaderNames = []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}

// swSignatures is what VerifyHeaders leaves in Scratch: the signatures,
// read from webhook-signature.
type swSignatures []verify.SWSignature

// VerifyHeaders checks what needs no body: the three headers once each,
// the id, the timestamp against the tolerance, and the signatures' form.
func (s *StandardWebhooks) VerifyHeaders(d *Delivery) error {
	h := d.Request.Header
	for _, name := range swHeaderNames {
		switch len(h[name]) {
		case 0:
			return Unauthorized("missing_signature", verify.ErrSWMissing)
		case 1:
		default:
			return Unauthorized("duplicate_header", errDuplicateSigHeader)
		}
	}
	sigs, err := s.verifier.CheckHeaders(swHeaders(h), d.Received)
	if err != nil {
		return swRejection(err)
	}
	d.Scratch = swSignatures(sigs)
	return nil
}

// Verify checks the headers, unless VerifyHeaders did, then the signatures
// over id, timestamp and the raw body.
func (s *StandardWebhooks) Verify(d *Delivery) error {
	sigs, ok := d.Scratch.(swSignatures)
	if !ok {
		if err := s.VerifyHeaders(d); err != nil {
			return err
		}
		sigs = d.Scratch.(swSignatures)
	}
	return swRejection(s.verifier.Match(swHeaders(d.Request.Header), sigs, d.Body))
}

func swHeaders(h http.Header) verify.SWHeaders {
	return verify.SWHeaders{ID: h.Get("Webhook-Id"), Timestamp: h.Get("Webhook-Timestamp"), Signature: h.Get("Webhook-Signature")}
}

func swRejection(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, verify.ErrSWMissing):
		return Unauthorized("missing_signature", err)
	case errors.Is(err, verify.ErrSWNoSupported):
		return Unauthorized("unsupported_signature", err)
	case errors.Is(err, verify.ErrSignatureMismatch):
		return Unauthorized("signature_mismatch", err)
	case errors.Is(err, verify.ErrSignatureStale):
		return Unauthorized("stale_signature", err)
	case errors.Is(err, verify.ErrSignatureFuture):
		return Unauthorized("signature_in_future", err)
	}
	return Unauthorized("malformed_signature", err)
}

// Normalize takes the id from webhook-id and the time from
// webhook-timestamp, then applies the mapping.
func (s *StandardWebhooks) Normalize(d *Delivery) (*Event, error) {
	h := d.Request.Header
	id := h.Get("Webhook-Id")
	if id == "" {
		id = DerivedID(s.VendorName, d.Body)
	}
	ev, err := genericEvent(s.VendorName, d.Body, id, s.Mapping)
	if err != nil {
		return nil, err
	}
	if ev.Time == "" {
		if sec, err := strconv.ParseInt(h.Get("Webhook-Timestamp"), 10, 64); err == nil && sec >= 0 {
			ev.Time = time.Unix(sec, 0).UTC().Format(time.RFC3339)
		}
	}
	return ev, nil
}

// SignatureWindow implements Skewer.
func (s *StandardWebhooks) SignatureWindow() time.Duration { return time.Duration(s.Tolerance) }

// CredentialHeaders names the signature headers. webhook-id and
// webhook-timestamp stay: the app may use the id to deduplicate.
func (s *StandardWebhooks) CredentialHeaders() []string { return []string{"Webhook-Signature"} }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	standard_webhooks {
//		name       <vendor name>    # default standard_webhooks
//		secret     whsec_<base64>   # repeatable, for rotation
//		public_key whpk_<base64>    # repeatable; v1a (ed25519)
//		tolerance  <duration>       # default 5m, either way
//		mapping { ... }
//	}
func (s *StandardWebhooks) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "name":
			s.VendorName, err = ParseOneArg(d)
		case "secret":
			err = ParseRepeated(d, &s.Secrets)
		case "public_key":
			err = ParseRepeated(d, &s.PublicKeys)
		case "tolerance":
			s.Tolerance, err = ParseDuration(d)
		case "mapping":
			if s.Mapping == nil {
				s.Mapping = new(Mapping)
			}
			err = s.Mapping.UnmarshalCaddyfile(d)
		default:
			return d.Errf("unknown standard_webhooks option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Interface guards
var (
	_ Vendor                = (*StandardWebhooks)(nil)
	_ HeaderVerifier        = (*StandardWebhooks)(nil)
	_ CredentialHeaderer    = (*StandardWebhooks)(nil)
	_ caddy.Provisioner     = (*StandardWebhooks)(nil)
	_ caddy.Validator       = (*StandardWebhooks)(nil)
	_ caddyfile.Unmarshaler = (*StandardWebhooks)(nil)
)
