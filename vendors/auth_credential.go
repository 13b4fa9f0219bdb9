package vendors

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/verify"
)

// AuthCredentials are the credentials a vendor that signs nothing sends in
// the Authorization header, as set up on its side: HTTP Basic user and
// password pairs (RFC 7617) and bearer tokens (RFC 6750). Give more than one
// of either during a rotation; a delivery must carry exactly one
// Authorization header, with any one of them.
type AuthCredentials struct {
	// HTTP Basic credentials: "Authorization: Basic base64(user:password)".
	// Placeholders such as {env.X} and {file./path} are resolved when the
	// config loads.
	Basic []BasicCredential `json:"basic,omitempty"`

	// Bearer tokens: "Authorization: Bearer <token>". Placeholders are
	// resolved when the config loads.
	Bearer []string `json:"bearer,omitempty"`
}

// BasicCredential is one HTTP Basic user and password.
type BasicCredential struct {
	// The user name. It may not contain a colon (RFC 7617). It is not a
	// secret, so any length is accepted, but not a blank one.
	User string `json:"user,omitempty"`

	// The password: at least 16 bytes, like every other secret.
	Password string `json:"password,omitempty"`
}

// authCheck is the provisioned form of AuthCredentials: the accepted
// "user:password" strings and tokens, kept for constant-time comparison.
type authCheck struct {
	basic  verify.Secrets
	bearer verify.Secrets
	// schemes names the accepted schemes, for the refusal of another.
	schemes string
}

// authorization is the header the credentials travel in.
const authorization = "Authorization"

// configured reports whether any credential is set.
func (a AuthCredentials) configured() bool { return len(a.Basic) > 0 || len(a.Bearer) > 0 }

// provision resolves every credential once. None configured provisions a
// check that is off; the vendor decides whether that may start.
func (a AuthCredentials) provision(vendor string) (authCheck, error) {
	var c authCheck
	if len(a.Basic) > 0 {
		pairs := make([]string, 0, len(a.Basic))
		for i, b := range a.Basic {
			// A user name is not a secret: any length, but never blank.
			// The password carries the strength and keeps the length rule.
			user, err := ResolveValue(fmt.Sprintf("%s basic #%d user", vendor, i+1), b.User)
			if err != nil {
				return c, err
			}
			if strings.Contains(user, ":") {
				return c, fmt.Errorf("%s basic #%d user contains ':', which HTTP Basic cannot carry in a user name", vendor, i+1)
			}
			password, err := ResolveSecret(fmt.Sprintf("%s basic #%d password", vendor, i+1), b.Password)
			if err != nil {
				return c, err
			}
			pairs = append(pairs, user+":"+password)
		}
		// Resolved already: NewSecrets keeps them as they are, so a
		// password holding "{...}" is not expanded twice.
		keys := make([][]byte, len(pairs))
		for i, p := range pairs {
			keys[i] = []byte(p)
		}
		c.basic = verify.NewSecrets(keys)
		c.schemes = "Basic"
	}
	if len(a.Bearer) > 0 {
		tokens, err := ResolveSecrets(vendor+" bearer token", a.Bearer)
		if err != nil {
			return c, err
		}
		c.bearer = tokens
		c.schemes = strings.TrimPrefix(c.schemes+", Bearer", ", ")
	}
	return c, nil
}

// on reports whether the check has anything to compare.
func (c *authCheck) on() bool { return len(c.basic) > 0 || len(c.bearer) > 0 }

var (
	errAuthScheme    = errors.New("the Authorization scheme is not one this route accepts")
	errAuthMalformed = errors.New("the Authorization credentials cannot be read")
	errAuthMismatch  = errors.New("the Authorization credentials match none configured")
)

// maxBasicStack is how long a Basic credential may be and still be decoded
// without an allocation; a longer one is decoded on the heap.
const maxBasicStack = 256

// check requires exactly one Authorization header whose scheme the route
// accepts and whose credentials match one configured, compared in constant
// time (every configured credential is tried). It reads only the header.
func (c *authCheck) check(h http.Header) error {
	if !c.on() {
		return nil
	}
	v, rej := singleHeader(h, authorization)
	if rej != nil {
		return rej
	}
	if b64, ok := cutScheme(v, "Basic"); ok && len(c.basic) > 0 {
		return c.checkBasic(b64)
	}
	if token, ok := cutScheme(v, "Bearer"); ok && len(c.bearer) > 0 {
		if token == "" {
			return Unauthorized("malformed_credentials", errAuthMalformed)
		}
		if !matchString(c.bearer, token) {
			return Unauthorized("credential_mismatch", errAuthMismatch)
		}
		return nil
	}
	return Unauthorized("unsupported_scheme", fmt.Errorf("%w (it accepts %s)", errAuthScheme, c.schemes))
}

// checkBasic decodes base64(user:password) and compares it whole.
func (c *authCheck) checkBasic(b64 string) error {
	var stack [maxBasicStack]byte
	dst := stack[:0]
	if n := base64.StdEncoding.DecodedLen(len(b64)); n > len(stack) {
		dst = make([]byte, 0, n)
	}
	dst, err := base64.StdEncoding.AppendDecode(dst, []byte(b64))
	if err != nil || len(b64) == 0 || bytes.IndexByte(dst, ':') < 0 {
		return Unauthorized("malformed_credentials", errAuthMalformed)
	}
	if !c.basic.MatchToken(dst) {
		return Unauthorized("credential_mismatch", errAuthMismatch)
	}
	return nil
}

// matchString is MatchToken for a string, copied onto the stack rather
// than converted on the heap when it is short, as credentials are.
func matchString(ss verify.Secrets, s string) bool {
	var buf [maxBasicStack]byte
	if len(s) <= len(buf) {
		return ss.MatchToken(append(buf[:0], s...))
	}
	return ss.MatchToken([]byte(s))
}

// cutScheme returns the credentials after an HTTP authentication scheme
// (compared without case, RFC 9110 section 11.1) and at least one space, or
// ok=false when the value does not start with the scheme.
func cutScheme(v, scheme string) (credentials string, ok bool) {
	v = strings.TrimSpace(v)
	if len(v) < len(scheme) || !asciiEqualFold(v[:len(scheme)], scheme) {
		return "", false
	}
	rest := v[len(scheme):]
	if rest == "" {
		return "", true
	}
	if rest[0] != ' ' && rest[0] != '\t' {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// asciiEqualFold compares two strings of the same length without ASCII
// case: a scheme is an ASCII token, so no Unicode folding applies.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// singleHeader returns the one value of the header name; none, or more
// than one, is a refusal that names the header.
func singleHeader(h http.Header, name string) (string, *Rejection) {
	got := h.Values(name)
	switch {
	case len(got) == 0:
		return "", Unauthorized("missing_header", fmt.Errorf("no %s header", name))
	case len(got) > 1:
		return "", Unauthorized("duplicate_header", fmt.Errorf("%s appears more than once", name))
	}
	return got[0], nil
}

// unmarshalOption reads `basic <user> <password>` or `bearer <token>`;
// handled is false for any other option.
func (a *AuthCredentials) unmarshalOption(d *caddyfile.Dispenser) (handled bool, err error) {
	switch d.Val() {
	case "basic":
		args := d.RemainingArgs()
		if len(args) != 2 {
			return true, d.Errf("basic takes a user and a password: `basic <user> <password>`")
		}
		a.Basic = append(a.Basic, BasicCredential{User: args[0], Password: args[1]})
		return true, nil
	case "bearer":
		return true, ParseRepeated(d, &a.Bearer)
	}
	return false, nil
}
