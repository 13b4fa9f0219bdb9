package vendors

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json"
)

func init() {
	caddy.RegisterModule(Yoti{})
	builtinSources["yoti"] = "urn:biohook:yoti"
}

// Yoti verifies Yoti Identity Verification (IDV) notifications. Yoti signs
// nothing: each session names the notification endpoint and an auth_token
// that Yoti sends back as "Authorization: Basic base64(user:password)" or
// "Authorization: Bearer <token>". The route holds the credentials it
// gives Yoti and refuses any delivery without one of them. Notifications
// are thin (a session id and a topic): the application fetches the
// session's result from Yoti's API.
type Yoti struct {
	AuthCredentials

	// The base URL of Yoti's IDV API, for the session's URL in each event
	// (data.resource.href). Default: https://api.yoti.com/idverify/v1;
	// Yoti's sandbox is https://api.yoti.com/sandbox/idverify/v1.
	APIURL string `json:"api_url,omitempty"`

	auth       authCheck
	sessionURL string // APIURL + "/sessions/"
}

// yotiAPI is Yoti's documented IDV API base URL.
const yotiAPI = "https://api.yoti.com/idverify/v1"

// CaddyModule returns the Caddy module information.
func (Yoti) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.yoti",
		New: func() caddy.Module { return new(Yoti) },
	}
}

var errYotiNoCredential = errors.New("no yoti credential configured: set `basic <user> <password>` or `bearer <token>`, " +
	"the auth_token each session's notification config gives Yoti (Yoti signs nothing, so a route without one accepts anyone's deliveries)")

// Provision resolves the credentials.
func (y *Yoti) Provision(caddy.Context) (err error) {
	if !y.configured() {
		return errYotiNoCredential
	}
	if y.auth, err = y.AuthCredentials.provision("yoti"); err != nil {
		return err
	}
	base := y.APIURL
	if base == "" {
		base = yotiAPI
	}
	y.sessionURL = strings.TrimSuffix(base, "/") + "/sessions/"
	return nil
}

// Validate checks the settings that need no resolving.
func (y *Yoti) Validate() error {
	if y.APIURL == "" {
		return nil
	}
	u, err := url.Parse(y.APIURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("yoti api_url must be an https URL without a query, e.g. https://api.yoti.com/sandbox/idverify/v1")
	}
	return nil
}

// VerifyHeader checks the Authorization header, before the body is read.
func (y *Yoti) VerifyHeaders(d *Delivery) error { return y.auth.check(d.Request.Header) }

// Verify checks the Authorization header.
func (y *Yoti) Verify(d *Delivery) error { return y.auth.check(d.Request.Header) }

// yotiPayload is a Yoti IDV notification. Members not listed are ignored
// and travel in raw; a listed member of another JSON type is refused.
type yotiPayload struct {
	SessionID  string `json:"session_id"`
	Topic      string `json:"topic"`
	TaskID     string `json:"task_id"`
	ResourceID string `json:"resource_id"`
	CheckID    string `json:"check_id"`
}

var errYotiPayload = errors.New("session_id or topic is missing")

func decodeYoti(body []byte) (*yotiPayload, error) {
	p := new(yotiPayload)
	if err := json.Unmarshal(body, p); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if p.SessionID == "" || p.Topic == "" {
		return nil, BadPayload("invalid_payload", errYotiPayload)
	}
	return p, nil
}

// Normalize maps the notification to the common event: a verification
// whose outcome is pending (the result is fetched from Yoti), about the
// session, with no user (Yoti names none) and no time (Yoti sends none).
// The id is a digest of the session, the topic and the task, resource or
// check id, which a retry repeats.
func (y *Yoti) Normalize(d *Delivery) (*Event, error) {
	p, err := decodeYoti(d.Body)
	if err != nil {
		return nil, err
	}
	ev := NewEvent("yoti", p.Topic, d.Body)
	ev.ID = DerivedIDOf("yoti", p.SessionID, p.Topic, p.TaskID, p.ResourceID, p.CheckID)
	ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeIdentityVerification, KindVerification, OutcomePending
	if p.Topic == "client_session_token_deleted" {
		ev.Data.Outcome = OutcomeNone
	}
	ev.Data.Resource = &Resource{Type: "session", ID: p.SessionID, Href: y.sessionURL + url.PathEscape(p.SessionID)}
	return ev, nil
}

// Acknowledge answers exactly 200 for any 2xx: Yoti documents a retry for
// anything else (for its age-verification notifications; IDV's policy is
// unpublished).
func (y *Yoti) Acknowledge(status int, _ http.Header) (Answer, bool) { return exactly200(status) }

// CredentialHeaders names the Authorization header.
func (y *Yoti) CredentialHeaders() []string { return []string{authorization} }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	yoti {
//		basic <user> <password>   # repeatable, for rotation
//		bearer <token>            # repeatable, for rotation
//		api_url <base URL>        # default https://api.yoti.com/idverify/v1
//	}
func (y *Yoti) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		handled, err := y.AuthCredentials.unmarshalOption(d)
		if !handled {
			switch d.Val() {
			case "api_url":
				y.APIURL, err = ParseOneArg(d)
			default:
				return d.Errf("unknown yoti option %q", d.Val())
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Interface guards
var (
	_ Vendor                = (*Yoti)(nil)
	_ HeaderVerifier        = (*Yoti)(nil)
	_ CredentialHeaderer    = (*Yoti)(nil)
	_ Acknowledger          = (*Yoti)(nil)
	_ caddy.Provisioner     = (*Yoti)(nil)
	_ caddy.Validator       = (*Yoti)(nil)
	_ caddyfile.Unmarshaler = (*Yoti)(nil)
)
