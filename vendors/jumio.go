package vendors

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json"
)

func init() {
	caddy.RegisterModule(Jumio{})
	builtinSources["jumio"] = "urn:biohook:jumio"
}

// Jumio reads Jumio KYX (Jumio Platform) callbacks. Jumio signs nothing
// and sends no credential: it publishes the addresses its callbacks come
// from, per data centre. A route therefore needs source_ips, or a static
// header that something in front of it (a proxy that checks Jumio's
// addresses) adds. Callbacks are thin: the workflow's result is fetched
// from Jumio's retrieval API.
type Jumio struct {
	// Static headers every callback must carry: header name to accepted
	// values (more than one during a rotation). Jumio sends none of its
	// own; set one only where a proxy in front adds it to Jumio's
	// callbacks, and to nothing else. With a header, the route may start
	// without source_ips.
	Headers StaticHeaders `json:"headers,omitempty"`

	headers headerChecks
}

// CaddyModule returns the Caddy module information.
func (Jumio) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.jumio",
		New: func() caddy.Module { return new(Jumio) },
	}
}

// Provision resolves the headers' values.
func (j *Jumio) Provision(caddy.Context) (err error) {
	j.headers, err = j.Headers.provision("jumio")
	return err
}

// Validate checks the header names.
func (j *Jumio) Validate() error { return j.Headers.validate("jumio") }

// SourceCheckRequired says why a route without a header must list Jumio's
// addresses.
func (j *Jumio) SourceCheckRequired() string {
	if len(j.Headers) > 0 {
		return ""
	}
	return "Jumio signs nothing and sends no credential, so only the address a callback comes from proves it " +
		"(Jumio's callback addresses per data centre are in docs/jumio.md); a header that a proxy in front sets " +
		"on Jumio's callbacks alone would be a check of its own: `header <Name> <value>`"
}

// VerifyHeader checks the configured headers, before the body is read.
func (j *Jumio) VerifyHeaders(d *Delivery) error { return j.headers.check(d.Request.Header) }

// Verify checks the configured headers; without any, the route's
// source_ips are the check.
func (j *Jumio) Verify(d *Delivery) error { return j.headers.check(d.Request.Header) }

// jumioPayload is a KYX callback. Members not listed are ignored and
// travel in raw; a listed member of another JSON type is refused.
type jumioPayload struct {
	CallbackSentAt    string `json:"callbackSentAt"`
	UserReference     string `json:"userReference"`
	WorkflowExecution struct {
		ID     string `json:"id"`
		Href   string `json:"href"`
		Status string `json:"status"`
	} `json:"workflowExecution"`
	Account struct {
		ID string `json:"id"`
	} `json:"account"`
}

var errJumioPayload = errors.New("workflowExecution.id or workflowExecution.status is missing")

func decodeJumio(body []byte) (*jumioPayload, error) {
	p := new(jumioPayload)
	if err := json.Unmarshal(body, p); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if p.WorkflowExecution.ID == "" || p.WorkflowExecution.Status == "" {
		return nil, BadPayload("invalid_payload", errJumioPayload)
	}
	return p, nil
}

// Normalize maps the callback to the common event: a verification whose
// decision is to be fetched (PROCESSED, and any status Jumio adds: pending)
// or that ended without one (SESSION_EXPIRED, TOKEN_EXPIRED: none), about
// the workflow execution. The id is a digest of the execution's id and
// status, which Jumio's retries repeat.
func (j *Jumio) Normalize(d *Delivery) (*Event, error) {
	p, err := decodeJumio(d.Body)
	if err != nil {
		return nil, err
	}
	wf := &p.WorkflowExecution
	ev := NewEvent("jumio", wf.Status, d.Body)
	ev.ID = DerivedIDOf("jumio", wf.ID, wf.Status)
	ev.Time = normalTime(p.CallbackSentAt)
	ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeIdentityVerification, KindVerification, OutcomePending
	switch wf.Status {
	case "SESSION_EXPIRED", "TOKEN_EXPIRED":
		ev.Data.Outcome = OutcomeNone
	}
	ev.Data.Resource = &Resource{Type: "workflow_execution", ID: wf.ID, Href: httpsURL(wf.Href)}
	if p.UserReference != "" || p.Account.ID != "" {
		ev.Data.User = &User{ID: p.Account.ID, ExternalID: p.UserReference}
		ev.Subject = p.UserReference
		if ev.Subject == "" {
			ev.Subject = p.Account.ID
		}
	}
	return ev, nil
}

// httpsURL is s when it is an absolute https URL, else "": a link the
// event carries must be one.
func httpsURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return s
}

// Acknowledge answers exactly 200 for any 2xx, as Jumio asks.
func (j *Jumio) Acknowledge(status int, _ http.Header) (Answer, bool) { return exactly200(status) }

// CredentialHeaders names the configured static headers.
func (j *Jumio) CredentialHeaders() []string { return j.Headers.names() }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	jumio {
//		header <Name> <value>   # optional, repeatable; set by a proxy in front
//	}
//
// Without a header, the route must list Jumio's addresses in source_ips.
func (j *Jumio) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		switch d.Val() {
		case "header":
			if err := parseStaticHeader(d, &j.Headers); err != nil {
				return err
			}
		default:
			return d.Errf("unknown jumio option %q", d.Val())
		}
	}
	return nil
}

// Interface guards
var (
	_ Vendor                = (*Jumio)(nil)
	_ HeaderVerifier        = (*Jumio)(nil)
	_ SourceCheckRequirer   = (*Jumio)(nil)
	_ CredentialHeaderer    = (*Jumio)(nil)
	_ Acknowledger          = (*Jumio)(nil)
	_ caddy.Provisioner     = (*Jumio)(nil)
	_ caddy.Validator       = (*Jumio)(nil)
	_ caddyfile.Unmarshaler = (*Jumio)(nil)
)
