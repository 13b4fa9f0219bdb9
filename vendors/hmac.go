package vendors

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json/jsontext"
)

func init() {
	caddy.RegisterModule(HMAC{})
}

// HMAC verifies vendors that put an HMAC of the raw body in a header
// (Veriff, Onfido, Sumsub, GitHub-style "sha256=" and the like), configured
// rather than coded. Its events have kind other and outcome none, the
// payload kept in raw, unless a mapping says where the fields are.
type HMAC struct {
	// The vendor's name in events (data.vendor, source urn:biohook:<name>):
	// lower-case letters, digits and underscores. Default: hmac.
	VendorName string `json:"vendor_name,omitempty"`

	// The header that carries the signature, e.g. X-Signature. Required.
	Header string `json:"header,omitempty"`

	// The hash: sha256 (default), sha512 or sha1.
	Algorithm string `json:"algorithm,omitempty"`

	// How the MAC is written: hex (default, either case), base64 or base64url.
	Encoding string `json:"encoding,omitempty"`

	// Text before the MAC in the header, e.g. "sha256=". Default: none.
	Prefix string `json:"prefix,omitempty"`

	// The shared secret. Give it more than once while rotating: any one
	// verifies. Placeholders are resolved when the config loads.
	Secrets []string `json:"secrets,omitempty"`

	// Accept secrets shorter than 16 bytes. Secrets shorter than that stop
	// the config from loading: one can be searched offline from a single
	// signed delivery. Set this only for a vendor that issues shorter
	// secrets and offers no longer one; a blank secret is never accepted.
	AllowShortSecret bool `json:"allow_short_secret,omitempty"`

	// Where the event's id, time, subject, name and outcome are in the payload.
	Mapping *Mapping `json:"mapping,omitempty"`

	sig bodySignature
}

// CaddyModule returns the Caddy module information.
func (HMAC) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.hmac",
		New: func() caddy.Module { return new(HMAC) },
	}
}

// vendorNamePattern is what data.vendor may hold.
var vendorNamePattern = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

// Provision fills the defaults, builds the scheme and resolves the secrets.
func (h *HMAC) Provision(caddy.Context) error {
	if h.VendorName == "" {
		h.VendorName = "hmac"
	}
	if h.Algorithm == "" {
		h.Algorithm = "sha256"
	}
	if h.Encoding == "" {
		h.Encoding = "hex"
	}
	if h.Header == "" {
		return errors.New("hmac: no header configured: name the one that carries the signature, e.g. `header X-Signature`")
	}
	var err error
	short := ShortSecrets{Allowed: h.AllowShortSecret, Option: "allow_short_secret"}
	if h.sig, err = newBodySignature(h.VendorName, h.Header, h.Algorithm, h.Encoding, h.Prefix, h.Secrets, short); err != nil {
		return err
	}
	if h.Mapping != nil {
		return h.Mapping.Provision()
	}
	return nil
}

// Validate checks the vendor name.
func (h *HMAC) Validate() error {
	if !vendorNamePattern.MatchString(h.VendorName) {
		return fmt.Errorf("hmac: name %q: use lower-case letters, digits and underscores", h.VendorName)
	}
	return nil
}

// VerifyHeaders checks, before the body is read, that the signature header
// is there once, with the configured prefix and encoding.
func (h *HMAC) VerifyHeaders(d *Delivery) error { return h.sig.VerifyHeaders(d) }

// Verify checks the header's HMAC over the raw body.
func (h *HMAC) Verify(d *Delivery) error { return h.sig.Verify(d) }

// Normalize keeps the payload, valid JSON, and applies the mapping.
func (h *HMAC) Normalize(d *Delivery) (*Event, error) {
	return genericEvent(h.VendorName, d.Body, DerivedID(h.VendorName, d.Body), h.Mapping)
}

var errNotJSON = errors.New("the body is not one valid JSON value")

// genericEvent builds the event of a configured vendor: the default id,
// kind other and outcome none, then whatever the mapping finds.
func genericEvent(vendor string, body []byte, id string, m *Mapping) (*Event, error) {
	if !jsontext.Value(body).IsValid() {
		return nil, BadPayload("invalid_json", errNotJSON)
	}
	if m != nil {
		if err := checkCase(body, m.cases); err != nil {
			return nil, BadPayload("ambiguous_member", err)
		}
	}
	ev := NewEvent(vendor, "", body)
	ev.ID = id
	m.Apply(ev, body)
	return ev, nil
}

// CredentialHeaders names the signature header.
func (h *HMAC) CredentialHeaders() []string { return h.sig.CredentialHeaders() }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	hmac {
//		name       <vendor name>          # default hmac
//		header     <header name>          # required
//		algorithm  sha256|sha512|sha1     # default sha256
//		encoding   hex|base64|base64url   # default hex
//		prefix     <text>                 # e.g. sha256=
//		secret     <secret>               # repeatable, for rotation
//		allow_short_secret                # only for a vendor that issues secrets under 16 bytes
//		id_field   <path>                 # shorthand for mapping { id <path> }
//		time_field <path>                 # shorthand for mapping { time <path> }
//		mapping { ... }
//	}
func (h *HMAC) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "name":
			h.VendorName, err = ParseOneArg(d)
		case "header":
			h.Header, err = ParseOneArg(d)
		case "algorithm":
			h.Algorithm, err = ParseOneArg(d)
		case "encoding":
			h.Encoding, err = ParseOneArg(d)
		case "prefix":
			h.Prefix, err = ParseOneArg(d)
		case "secret":
			err = ParseRepeated(d, &h.Secrets)
		case "allow_short_secret":
			if d.NextArg() {
				return d.ArgErr()
			}
			h.AllowShortSecret = true
		case "id_field":
			h.mapping().ID, err = ParseOneArg(d)
		case "time_field":
			h.mapping().Time, err = ParseOneArg(d)
		case "mapping":
			err = h.mapping().UnmarshalCaddyfile(d)
		default:
			return d.Errf("unknown hmac option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (h *HMAC) mapping() *Mapping {
	if h.Mapping == nil {
		h.Mapping = new(Mapping)
	}
	return h.Mapping
}

// Interface guards
var (
	_ Vendor                = (*HMAC)(nil)
	_ HeaderVerifier        = (*HMAC)(nil)
	_ CredentialHeaderer    = (*HMAC)(nil)
	_ caddy.Provisioner     = (*HMAC)(nil)
	_ caddy.Validator       = (*HMAC)(nil)
	_ caddyfile.Unmarshaler = (*HMAC)(nil)
)
