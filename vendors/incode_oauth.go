package vendors

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/golang-jwt/jwt/v5"

	"github.com/biohook/caddy-biohook/verify"
)

// IncodeOAuth makes the route an OAuth 2.0 authorisation server for Incode's
// client-credentials flow (RFC 6749 section 4.4): Incode POSTs its client id
// and secret to token_path, gets a short-lived bearer token, and sends it on
// every webhook. Tokens are signed and stateless, so every instance that
// shares the secret accepts the tokens any of them issued.
type IncodeOAuth struct {
	// The client id registered with Incode.
	ClientID string `json:"client_id,omitempty"`

	// The client secret registered with Incode. Give it more than once while
	// rotating: any one authenticates, and tokens are signed with the first.
	Secrets []string `json:"secrets,omitempty"`

	// The path of the token endpoint, as registered with Incode (the route
	// must match it too, e.g. `handle /hooks/incode*`).
	TokenPath string `json:"token_path,omitempty"`

	// How long an issued token is valid. Default: 1h. A bearer token whose
	// expiry lies further than this (plus 5s of leeway) after its issue
	// time, or after now, is refused: shortening token_ttl also cuts short
	// the tokens issued before, and Incode must fetch a new one.
	TokenTTL caddy.Duration `json:"token_ttl,omitempty"`

	clientID string
	secrets  verify.Secrets
	keys     []jwt.VerificationKey // token keys, one per secret; the first signs
	audience string
	parser   *jwt.Parser
}

// DefaultIncodeTokenTTL is the default for token_ttl.
const DefaultIncodeTokenTTL = time.Hour

// tokenKeyLabel separates the token key from the client secret itself, so a
// token cannot be checked or forged with the raw secret by anything else that
// holds it.
const tokenKeyLabel = "biohook incode token v1"

// tokenLeeway absorbs clock differences between instances of a cluster.
const tokenLeeway = 5 * time.Second

// maxTokenRequest bounds the token request body: a few form fields.
const maxTokenRequest = 16 << 10

func (o *IncodeOAuth) provision() error {
	if o.TokenPath == "" || !strings.HasPrefix(o.TokenPath, "/") {
		return errors.New("incode oauth token_path must be set to an absolute path, e.g. /hooks/incode/token")
	}
	id, err := ResolveValue("incode oauth client_id", o.ClientID)
	if err != nil {
		return err
	}
	if o.secrets, err = ResolveSecrets("incode oauth secret", o.Secrets); err != nil {
		return err
	}
	o.clientID = id
	o.keys = make([]jwt.VerificationKey, len(o.secrets))
	for i, s := range o.secrets {
		o.keys[i] = verify.HMACSHA256(s.Key(), []byte(tokenKeyLabel))
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = caddy.Duration(DefaultIncodeTokenTTL)
	}
	// The audience binds a token to this client and this route's endpoint.
	o.audience = "biohook:incode:" + id + o.TokenPath
	o.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience(o.audience),
		jwt.WithIssuer("biohook"),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(tokenLeeway),
	)
	return nil
}

// issue signs a new token for the client.
func (o *IncodeOAuth) issue(now time.Time) (string, error) {
	claims := jwt.RegisteredClaims{
		Issuer:    "biohook",
		Subject:   o.clientID,
		Audience:  jwt.ClaimStrings{o.audience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Duration(o.TokenTTL))),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(o.keys[0])
}

var (
	errNoBearer      = errors.New("no Authorization header")
	errTwoBearers    = errors.New("more than one Authorization header")
	errNotBearer     = errors.New("Authorization is not a Bearer token")
	errTokenRejected = errors.New("the token was not issued by this route, or was altered")
	errTokenExpired  = errors.New("the token has expired")
	errTokenLifetime = errors.New("the token's lifetime exceeds token_ttl, or it has no issue time")
)

// checkBearer proves a delivery's bearer token: issued by this route, for
// this client, and unexpired.
func (o *IncodeOAuth) checkBearer(h http.Header) error {
	values := h.Values("Authorization")
	switch {
	case len(values) == 0:
		return Unauthorized("missing_token", errNoBearer)
	case len(values) > 1:
		return Unauthorized("duplicate_header", errTwoBearers)
	}
	v := strings.TrimSpace(values[0])
	if len(v) < 8 || !strings.EqualFold(v[:7], "bearer ") {
		return Unauthorized("invalid_token", errNotBearer)
	}
	keys := jwt.VerificationKeySet{Keys: o.keys}
	claims := new(jwt.RegisteredClaims)
	_, err := o.parser.ParseWithClaims(strings.TrimSpace(v[7:]), claims,
		func(*jwt.Token) (any, error) { return keys, nil })
	switch {
	case err == nil:
		if !o.lifetimeAllowed(claims, time.Now()) {
			return Unauthorized("invalid_token", errTokenLifetime)
		}
		return nil
	case errors.Is(err, jwt.ErrTokenExpired) && !errors.Is(err, jwt.ErrTokenInvalidAudience):
		// Only a token that is otherwise this route's is called expired.
		return Unauthorized("expired_token", errTokenExpired)
	default:
		return Unauthorized("invalid_token", errTokenRejected)
	}
}

// lifetimeAllowed reports whether a token lives no longer than token_ttl
// (and the leeway) from its issue time and from now: a token issued while
// token_ttl was longer, or signed elsewhere with a far exp, does not
// outlive what this route now allows. A token without iat is not one this
// route issued.
func (o *IncodeOAuth) lifetimeAllowed(c *jwt.RegisteredClaims, now time.Time) bool {
	if c.IssuedAt == nil || c.ExpiresAt == nil {
		return false
	}
	limit := time.Duration(o.TokenTTL) + tokenLeeway
	exp := c.ExpiresAt.Time
	return !exp.After(c.IssuedAt.Add(limit)) && !exp.After(now.Add(limit))
}

// serveToken answers a request to the token endpoint. handled is false for
// any other path, so the handler goes on with a delivery.
func (o *IncodeOAuth) serveToken(w http.ResponseWriter, r *http.Request) (handled bool, err error) {
	if originalPath(r) != o.TokenPath {
		return false, nil
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return true, oauthError(w, http.StatusMethodNotAllowed, "invalid_request")
	}
	form, status, code := readTokenForm(r)
	if code != "" {
		return true, oauthError(w, status, code)
	}
	if status, code := o.authenticateClient(r, form); code != "" {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="biohook"`)
		}
		return true, oauthError(w, status, code)
	}
	switch form.Get("grant_type") {
	case "client_credentials":
	case "":
		return true, oauthError(w, http.StatusBadRequest, "invalid_request")
	default:
		return true, oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
	}
	token, err := o.issue(time.Now())
	if err != nil {
		return true, err
	}
	return true, tokenAnswer(w, token, time.Duration(o.TokenTTL))
}

// readTokenForm reads the form-encoded body of a token request.
func readTokenForm(r *http.Request) (url.Values, int, string) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, http.StatusBadRequest, "invalid_request"
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxTokenRequest+1))
	if err != nil || len(body) > maxTokenRequest {
		return nil, http.StatusBadRequest, "invalid_request"
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, http.StatusBadRequest, "invalid_request"
	}
	for _, field := range []string{"grant_type", "client_id", "client_secret"} {
		if len(form[field]) > 1 {
			return nil, http.StatusBadRequest, "invalid_request" // RFC 6749 section 3.2
		}
	}
	return form, 0, ""
}

// authenticateClient checks the client's id and secret, from HTTP Basic or
// from the form; a request may use one of the two, not both.
func (o *IncodeOAuth) authenticateClient(r *http.Request, form url.Values) (int, string) {
	id, secret, basic := r.BasicAuth()
	if basic && form.Has("client_secret") {
		return http.StatusBadRequest, "invalid_request"
	}
	var ok bool
	if basic {
		ok = o.basicMatches(id, secret)
	} else {
		ok = o.clientMatches(form.Get("client_id"), form.Get("client_secret"))
	}
	if !ok {
		return http.StatusUnauthorized, "invalid_client"
	}
	return 0, ""
}

// basicMatches accepts Basic credentials as Incode documents them (the id
// and secret as they are) and as RFC 6749 section 2.3.1 has them (each
// form-encoded first), so a secret holding '+' or '%' works either way.
// Both readings are always compared.
func (o *IncodeOAuth) basicMatches(id, secret string) bool {
	raw := o.clientMatches(id, secret)
	decodedID, err1 := url.QueryUnescape(id)
	decodedSecret, err2 := url.QueryUnescape(secret)
	decoded := o.clientMatches(decodedID, decodedSecret) && err1 == nil && err2 == nil
	return raw || decoded
}

// clientMatches compares the id and the secret in constant time, always both.
func (o *IncodeOAuth) clientMatches(id, secret string) bool {
	idOK := verify.EqualString(id, o.clientID)
	secretOK := o.secrets.MatchToken([]byte(secret))
	return idOK && secretOK
}

// tokenAnswer writes the RFC 6749 section 5.1 answer.
func tokenAnswer(w http.ResponseWriter, token string, ttl time.Duration) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, err := fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":%s}`,
		token, strconv.FormatInt(int64(ttl/time.Second), 10))
	return err
}

// oauthError writes an RFC 6749 section 5.2 error.
func oauthError(w http.ResponseWriter, status int, code string) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := fmt.Fprintf(w, `{"error":%q}`, code)
	return err
}

// originalPath is the path the sender called, before any Caddy rewrite.
func originalPath(r *http.Request) string {
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && orig.URL != nil {
		return orig.URL.Path
	}
	return r.URL.Path
}

// unmarshalCaddyfile reads the oauth block.
func (o *IncodeOAuth) unmarshalCaddyfile(d *caddyfile.Dispenser) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "client_id":
			o.ClientID, err = ParseOneArg(d)
		case "secret":
			err = ParseRepeated(d, &o.Secrets)
		case "token_path":
			o.TokenPath, err = ParseOneArg(d)
		case "token_ttl":
			o.TokenTTL, err = ParseDuration(d)
		default:
			return d.Errf("unknown incode oauth option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}
