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
	caddy.RegisterModule(Ondato{})
	builtinSources["ondato"] = "urn:biohook:ondato"
}

// Ondato reads Ondato webhooks. Ondato documents no signature and no
// credential: its webhooks come from five published addresses. A route
// therefore needs source_ips, or a static header that something in front
// of it (a proxy that checks Ondato's addresses) adds. The envelope's
// member names are inferred from Ondato's documentation history; the
// module reads only the few it maps and keeps the rest in raw.
type Ondato struct {
	// Static headers every webhook must carry: header name to accepted
	// values (more than one during a rotation). Ondato documents none of
	// its own; set one only where a proxy in front adds it to Ondato's
	// webhooks, and to nothing else. With a header, the route may start
	// without source_ips.
	Headers StaticHeaders `json:"headers,omitempty"`

	headers headerChecks
}

// CaddyModule returns the Caddy module information.
func (Ondato) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.ondato",
		New: func() caddy.Module { return new(Ondato) },
	}
}

// Provision resolves the headers' values.
func (o *Ondato) Provision(caddy.Context) (err error) {
	o.headers, err = o.Headers.provision("ondato")
	return err
}

// Validate checks the header names.
func (o *Ondato) Validate() error { return o.Headers.validate("ondato") }

// SourceCheckRequired says why a route without a header must list
// Ondato's addresses.
func (o *Ondato) SourceCheckRequired() string {
	if len(o.Headers) > 0 {
		return ""
	}
	return "Ondato documents no signature and no credential, so only the address a webhook comes from proves it " +
		"(Ondato's five webhook addresses are in docs/ondato.md); a header that a proxy in front sets " +
		"on Ondato's webhooks alone would be a check of its own: `header <Name> <value>`"
}

// VerifyHeader checks the configured headers, before the body is read.
func (o *Ondato) VerifyHeaders(d *Delivery) error { return o.headers.check(d.Request.Header) }

// Verify checks the configured headers; without any, the route's
// source_ips are the check.
func (o *Ondato) Verify(d *Delivery) error { return o.headers.check(d.Request.Header) }

// ondatoPayload is the envelope of an Ondato webhook, as far as the module
// reads it. The member names are inferred: Ondato's example spells them in
// camelCase, its table in PascalCase, so either is read (and one member in
// both spellings is refused, as any duplicate). Members not listed are
// ignored and travel in raw; a listed member of another JSON type is
// refused.
type ondatoPayload struct {
	ID         string `json:"id,case:ignore"`
	CreatedUtc string `json:"createdUtc,case:ignore"`
	Type       string `json:"type,case:ignore"`
	Payload    struct {
		ID                  string `json:"id,case:ignore"`
		ExternalReferenceID string `json:"externalReferenceId,case:ignore"`
	} `json:"payload,case:ignore"`
}

var errOndatoPayload = errors.New("type is missing")

func decodeOndato(body []byte) (*ondatoPayload, error) {
	p := new(ondatoPayload)
	if err := json.Unmarshal(body, p); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if p.Type == "" {
		return nil, BadPayload("invalid_payload", errOndatoPayload)
	}
	return p, nil
}

// ondatoResources are the webhook families the module maps: the resource's
// name in data.resource and whether it is a verification.
var ondatoResources = map[string]struct {
	resource     string
	verification bool
}{
	"KycIdentification":    {"kyc_identification", true},
	"KybIdentification":    {"kyb_identification", true},
	"IdentityVerification": {"identity_verification", true},
	"Idv":                  {"identity_verification", true}, // the name in Ondato's earlier documentation
	"Form":                 {"form", false},
}

// Normalize maps the webhook to the common event. The family (the type's
// part before the first dot) gives the kind and the resource; the event
// (the rest) gives the outcome: Approved approved, Rejected rejected,
// Created, Processed, Consented and StatusChanged pending, anything else
// (Updated, KYB document events, forms) none.
func (o *Ondato) Normalize(d *Delivery) (*Event, error) {
	p, err := decodeOndato(d.Body)
	if err != nil {
		return nil, err
	}
	ev := NewEvent("ondato", p.Type, d.Body)
	ev.ID = p.ID
	if ev.ID == "" {
		ev.ID = DerivedID("ondato", d.Body)
	}
	ev.Time = ondatoTime(p.CreatedUtc)
	family, event, _ := strings.Cut(p.Type, ".")
	res, known := ondatoResources[family]
	ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeVendorEvent, KindOther, OutcomeNone
	if res.verification {
		ev.Type, ev.Data.Kind = TypeIdentityVerification, KindVerification
		switch event {
		case "Approved":
			ev.Data.Outcome = OutcomeApproved
		case "Rejected":
			ev.Data.Outcome = OutcomeRejected
		case "Created", "Processed", "Consented", "StatusChanged":
			ev.Data.Outcome = OutcomePending
		}
	}
	if known && p.Payload.ID != "" {
		ev.Data.Resource = &Resource{Type: res.resource, ID: p.Payload.ID}
	}
	if ref := p.Payload.ExternalReferenceID; ref != "" {
		ev.Subject = ref
		ev.Data.User = &User{ExternalID: ref}
	}
	return ev, nil
}

// ondatoTime reads createdUtc: RFC 3339, or the same without a zone, which
// the member's name says is UTC.
func ondatoTime(s string) string {
	if t := normalTime(s); t != "" || s == "" {
		return t
	}
	t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	if err != nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// CredentialHeaders names the configured static headers.
func (o *Ondato) CredentialHeaders() []string { return o.Headers.names() }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	ondato {
//		header <Name> <value>   # optional, repeatable; set by a proxy in front
//	}
//
// Without a header, the route must list Ondato's addresses in source_ips.
func (o *Ondato) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		switch d.Val() {
		case "header":
			if err := parseStaticHeader(d, &o.Headers); err != nil {
				return err
			}
		default:
			return d.Errf("unknown ondato option %q", d.Val())
		}
	}
	return nil
}

// Interface guards
var (
	_ Vendor                = (*Ondato)(nil)
	_ HeaderVerifier        = (*Ondato)(nil)
	_ SourceCheckRequirer   = (*Ondato)(nil)
	_ CredentialHeaderer    = (*Ondato)(nil)
	_ caddy.Provisioner     = (*Ondato)(nil)
	_ caddy.Validator       = (*Ondato)(nil)
	_ caddyfile.Unmarshaler = (*Ondato)(nil)
)
