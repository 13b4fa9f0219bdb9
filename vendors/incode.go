package vendors

import (
	"errors"
	"mime"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func init() {
	caddy.RegisterModule(Incode{})
}

// Incode verifies Incode webhooks. Incode signs nothing; it offers two ways
// for a receiver to know a delivery is Incode's: static custom headers set in
// its dashboard, and OAuth 2.0 client credentials, for which this route
// serves the token endpoint itself. At least one must be configured; with
// both, both are required.
type Incode struct {
	// Headers every delivery must carry, with their accepted values.
	Headers StaticHeaders `json:"headers,omitempty"`

	// The OAuth 2.0 client-credentials setup.
	OAuth *IncodeOAuth `json:"oauth,omitempty"`

	headers headerChecks
}

// CaddyModule returns the Caddy module information.
func (Incode) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.incode",
		New: func() caddy.Module { return new(Incode) },
	}
}

var errIncodeNoCheck = errors.New("no incode check configured: set `header <Name> <value>` or an `oauth` block " +
	"(Incode signs nothing, so a route without one accepts anyone's deliveries)")

// Provision resolves the headers and the OAuth settings.
func (in *Incode) Provision(caddy.Context) (err error) {
	if len(in.Headers) == 0 && in.OAuth == nil {
		return errIncodeNoCheck
	}
	if in.headers, err = in.Headers.provision("incode"); err != nil {
		return err
	}
	if in.OAuth != nil {
		return in.OAuth.provision()
	}
	return nil
}

// incodeHeadersProved is what VerifyHeaders leaves in Scratch: every
// configured check passed.
type incodeHeadersProved struct{}

// VerifyHeaders checks the static headers and the bearer token, whichever
// are configured: all the proof Incode sends.
func (in *Incode) VerifyHeaders(d *Delivery) error {
	if err := in.headers.check(d.Request.Header); err != nil {
		return err
	}
	if in.OAuth != nil {
		if err := in.OAuth.checkBearer(d.Request.Header); err != nil {
			return err
		}
	}
	d.Scratch = incodeHeadersProved{}
	return nil
}

// Verify checks the headers, unless VerifyHeaders did.
func (in *Incode) Verify(d *Delivery) error {
	if _, ok := d.Scratch.(incodeHeadersProved); ok {
		return nil
	}
	return in.VerifyHeaders(d)
}

// ServeEndpoint answers the OAuth token endpoint.
func (in *Incode) ServeEndpoint(w http.ResponseWriter, r *http.Request) (bool, error) {
	if in.OAuth == nil {
		return false, nil
	}
	return in.OAuth.serveToken(w, r)
}

// incodeAck is the answer Incode counts as received.
var incodeAck = Answer{Status: http.StatusOK, ContentType: "application/json", Body: []byte(`{"success":true}`)}

// Acknowledge turns any 2xx into what Incode needs to stop retrying: 200
// with a JSON body, or 204. An upstream that already answers that way is
// left alone; a failure passes through, so Incode retries.
func (in *Incode) Acknowledge(status int, header http.Header) (Answer, bool) {
	if status < 200 || status > 299 || status == http.StatusNoContent {
		return Answer{}, false
	}
	if status == http.StatusOK {
		if mt, _, err := mime.ParseMediaType(header.Get("Content-Type")); err == nil && mt == "application/json" {
			return Answer{}, false
		}
	}
	return incodeAck, true
}

// CredentialHeaders names the bearer token's header and the static headers.
func (in *Incode) CredentialHeaders() []string {
	names := in.Headers.names()
	if in.OAuth != nil {
		names = append(names, "Authorization")
	}
	return names
}

// Validate checks the settings that need no resolving.
func (in *Incode) Validate() error {
	if in.OAuth != nil && in.OAuth.TokenTTL < 0 {
		return errors.New("incode oauth token_ttl must not be negative")
	}
	return in.Headers.validate("incode")
}

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	incode {
//		header <Name> <value>          # repeatable
//		oauth {
//			client_id <id>
//			secret <secret>            # repeatable, for rotation
//			token_path <path>
//			token_ttl <duration>       # default 1h
//		}
//	}
func (in *Incode) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		switch d.Val() {
		case "header":
			if err := parseStaticHeader(d, &in.Headers); err != nil {
				return err
			}
		case "oauth":
			if in.OAuth != nil {
				return d.Err("incode: only one oauth block")
			}
			in.OAuth = new(IncodeOAuth)
			if err := in.OAuth.unmarshalCaddyfile(d); err != nil {
				return err
			}
		default:
			return d.Errf("unknown incode option %q", d.Val())
		}
	}
	return nil
}

// Interface guards
var (
	_ Vendor                = (*Incode)(nil)
	_ HeaderVerifier        = (*Incode)(nil)
	_ EndpointServer        = (*Incode)(nil)
	_ Acknowledger          = (*Incode)(nil)
	_ CredentialHeaderer    = (*Incode)(nil)
	_ caddy.Provisioner     = (*Incode)(nil)
	_ caddy.Validator       = (*Incode)(nil)
	_ caddyfile.Unmarshaler = (*Incode)(nil)
)
