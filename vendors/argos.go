package vendors

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/verify"
)

func init() {
	caddy.RegisterModule(ARGOS{})
}

// ARGOS verifies ARGOS Identity webhooks (ID Check and its faceAuth add-on).
// ARGOS signs nothing, so a route proves its deliveries with whatever the
// receiver sets up: the "secure data transmission" encryption, a static
// header, a secret token in the URL path, or several of them. A route with
// none of them refuses to start. ECB encryption proves nothing about the
// payload (its blocks can be cut and pasted between deliveries), so a route
// that decrypts ECB also needs a header or the route's source_ips.
type ARGOS struct {
	// The project's API key, or its dedicated secret key: turns on
	// decryption of the "secure data transmission" format {"data":"<ciphertext>"}
	// with the key SHA-256(secret). Give it more than once while rotating.
	// With a secret, plaintext deliveries are refused.
	Secrets []string `json:"secrets,omitempty"`

	// The AES-256 mode, required with a secret: "ecb" (PKCS#7 padding;
	// ARGOS's mode since 2024-08-01), "cbc" (older projects) or "gcm". There
	// is no default: ECB is malleable, and a route that names it must also
	// check a header or list the route's source_ips.
	Mode string `json:"mode,omitempty"`

	// Where a CBC payload's IV is: "prefix" (the first 16 bytes of the
	// ciphertext), "zero" (16 zero bytes) or "key" (the first 16 bytes of the
	// derived key). Default: prefix. Only with mode cbc.
	CBCIV string `json:"cbc_iv,omitempty"`

	// How a GCM payload is laid out: "nonce_ciphertext_tag" or
	// "nonce_tag_ciphertext"; the tag is 16 bytes. Default:
	// nonce_ciphertext_tag. Only with mode gcm.
	GCMLayout string `json:"gcm_layout,omitempty"`

	// The GCM nonce length in bytes, 12 to 32. Default: 12. Only with mode gcm.
	GCMNonceSize int `json:"gcm_nonce_size,omitempty"`

	// Static headers every delivery must carry, as set up with ARGOS: header
	// name to accepted values. With more than one value for a name, any one
	// of them matches (rotation); every name must be present.
	Headers StaticHeaders `json:"headers,omitempty"`

	// Secret tokens one of which must be the last segment of the request
	// path, as sent (before any Caddy rewrite): register the webhook URL as
	// https://host/hooks/argos/<token>.
	PathTokens []string `json:"path_tokens,omitempty"`

	secrets    verify.Secrets
	ciphers    []*verify.PayloadCipher
	headers    headerChecks
	pathTokens verify.Secrets
}

// CaddyModule returns the Caddy module information.
func (ARGOS) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook.vendors.argos",
		New: func() caddy.Module { return new(ARGOS) },
	}
}

var (
	errArgosNoCheck = errors.New("no argos check configured: set secret, header or path_token " +
		"(ARGOS signs nothing, so a route without one accepts anyone's deliveries)")
	errArgosNoMode = errors.New("argos secret needs a mode: `mode ecb` (ARGOS's mode since 2024-08-01; " +
		"it also needs a header check or the route's source_ips), `mode cbc` (projects set up before) or `mode gcm`")
)

// argosECBMalleable says why ECB proves nothing about a payload.
const argosECBMalleable = "AES-256-ECB encrypts each 16-byte block on its own, so blocks of captured " +
	"deliveries can be cut and pasted into a forged one that decrypts (a rejected submission turned approved), " +
	"and nothing in ARGOS's payload binds its blocks together"

// Provision resolves every secret and builds the ciphers once.
func (a *ARGOS) Provision(ctx caddy.Context) error {
	if len(a.Secrets) == 0 && len(a.Headers) == 0 && len(a.PathTokens) == 0 {
		return errArgosNoCheck
	}
	if err := a.provisionCiphers(); err != nil {
		return err
	}
	if err := a.provisionHeaders(); err != nil {
		return err
	}
	if err := a.provisionPathTokens(); err != nil {
		return err
	}
	// Without a header the handler logs the reason with its source_ips,
	// or refuses to start: one warning either way.
	if a.Mode == string(verify.ModeECB) && len(a.Headers) > 0 {
		ctx.Logger().Warn("argos mode ecb: the header check, not the encryption, proves the deliveries",
			zap.String("why", argosECBMalleable))
	}
	return nil
}

func (a *ARGOS) provisionCiphers() error {
	if len(a.Secrets) == 0 {
		return nil
	}
	if a.Mode == "" {
		return errArgosNoMode
	}
	secrets, err := ResolveSecrets("argos secret", a.Secrets)
	if err != nil {
		return err
	}
	opts := verify.CipherOptions{
		Mode:      verify.CipherMode(a.Mode),
		CBCIV:     verify.CBCIV(a.CBCIV),
		GCMLayout: verify.GCMLayout(a.GCMLayout),
		NonceSize: a.GCMNonceSize,
	}
	a.secrets = secrets
	a.ciphers = make([]*verify.PayloadCipher, 0, len(secrets))
	for _, s := range secrets {
		c, err := verify.NewPayloadCipher(s.Key(), opts)
		if err != nil {
			return fmt.Errorf("argos: %w", err)
		}
		a.ciphers = append(a.ciphers, c)
	}
	return nil
}

func (a *ARGOS) provisionHeaders() (err error) {
	a.headers, err = a.Headers.provision("argos")
	return err
}

func (a *ARGOS) provisionPathTokens() error {
	if len(a.PathTokens) == 0 {
		return nil
	}
	tokens, err := ResolveSecrets("argos path_token", a.PathTokens)
	if err != nil {
		return err
	}
	for i, t := range tokens {
		if strings.Contains(string(t.Key()), "/") {
			return fmt.Errorf("argos path_token #%d contains '/': it must be a single path segment", i+1)
		}
	}
	a.pathTokens = tokens
	return nil
}

// Validate checks the settings that need no resolving.
func (a *ARGOS) Validate() error {
	if len(a.Secrets) == 0 && (a.Mode != "" || a.CBCIV != "" || a.GCMLayout != "" || a.GCMNonceSize != 0) {
		return errors.New("argos mode, cbc_iv, gcm_layout and gcm_nonce_size need a secret to decrypt with")
	}
	if a.CBCIV != "" && a.Mode != string(verify.ModeCBC) {
		return errors.New("argos cbc_iv applies to mode cbc only")
	}
	if (a.GCMLayout != "" || a.GCMNonceSize != 0) && a.Mode != string(verify.ModeGCM) {
		return errors.New("argos gcm_layout and gcm_nonce_size apply to mode gcm only")
	}
	return a.Headers.validate("argos")
}

var (
	errArgosNoPathToken  = errors.New("the request path ends in no token segment")
	errArgosPathToken    = errors.New("the path token matches no configured token")
	errArgosPlaintext    = errors.New("decryption is configured but the body is not {\"data\":\"<ciphertext>\"}")
	errArgosNotJSONPlain = errors.New("the decrypted payload is not a JSON object")
)

// argosHeadersProved is what VerifyHeaders leaves in Scratch: the path
// token and the headers passed.
type argosHeadersProved struct{}

// VerifyHeaders checks the path token and the static headers, whichever
// are configured.
func (a *ARGOS) VerifyHeaders(d *Delivery) error {
	if err := a.checkPathToken(d.Request); err != nil {
		return err
	}
	if err := a.headers.check(d.Request.Header); err != nil {
		return err
	}
	d.Scratch = argosHeadersProved{}
	return nil
}

// Verify runs every configured check, cheapest first: the path token and
// the headers, unless VerifyHeaders did, then decryption, whose plaintext
// it keeps for Normalize.
func (a *ARGOS) Verify(d *Delivery) error {
	if _, ok := d.Scratch.(argosHeadersProved); !ok {
		if err := a.VerifyHeaders(d); err != nil {
			return err
		}
	}
	if len(a.ciphers) == 0 {
		return nil
	}
	plain, err := a.decrypt(d.Body)
	if err != nil {
		return err
	}
	d.Scratch = argosPlaintext(plain)
	return nil
}

// checkPathToken compares the last segment of the path ARGOS called with the
// configured tokens, in constant time.
func (a *ARGOS) checkPathToken(r *http.Request) error {
	if len(a.pathTokens) == 0 {
		return nil
	}
	p := argosOriginalPath(r)
	seg := p[strings.LastIndexByte(p, '/')+1:]
	if seg == "" {
		return Unauthorized("missing_path_token", errArgosNoPathToken)
	}
	if !a.pathTokens.MatchToken([]byte(seg)) {
		return Unauthorized("path_token_mismatch", errArgosPathToken)
	}
	return nil
}

// argosOriginalPath is the request's path before any Caddy rewrite.
func argosOriginalPath(r *http.Request) string {
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && orig.URL != nil {
		return orig.URL.Path
	}
	return r.URL.Path
}

// argosEnvelopeCases is the envelope, whose data member is read.
var argosEnvelopeCases = &caseScope{}

// argosEnvelope is the "secure data transmission" body.
type argosEnvelope struct {
	Data jsontext.Value `json:"data"`
}

// decrypt opens {"data":"<ciphertext>"} with the configured keys. A body
// without a string data field is a plaintext delivery, refused; a
// ciphertext that opens under no key to a JSON object fails, with one reason
// whatever went wrong, so that the answer is no padding oracle.
func (a *ARGOS) decrypt(body []byte) ([]byte, error) {
	var env argosEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if err := checkCase(body, argosEnvelopeCases); err != nil {
		return nil, BadPayload("ambiguous_member", err)
	}
	if env.Data.Kind() != '"' {
		return nil, Unauthorized("plaintext_refused", errArgosPlaintext)
	}
	var text string
	if err := json.Unmarshal(env.Data, &text); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	ct, err := verify.DecodeCiphertext(text)
	if err != nil {
		return nil, Unauthorized("decryption_failed", err)
	}
	for _, c := range a.ciphers {
		plain, err := c.Decrypt(ct)
		if err == nil && argosIsObject(plain) {
			return plain, nil
		}
	}
	return nil, Unauthorized("decryption_failed", verify.ErrDecrypt)
}

// argosIsObject reports whether b is one valid JSON object (valid UTF-8, no
// duplicate names).
func argosIsObject(b []byte) bool {
	v := jsontext.Value(b)
	return v.Kind() == '{' && v.IsValid()
}

// argosPlaintext is the decrypted payload Verify hands to Normalize.
type argosPlaintext []byte

// plaintext is the payload as ARGOS wrote it: decrypted by Verify, or
// decrypted now when Normalize runs alone, or the body of a route that
// does not decrypt.
func (a *ARGOS) plaintext(d *Delivery) ([]byte, error) {
	if p, ok := d.Scratch.(argosPlaintext); ok {
		return p, nil
	}
	if len(a.ciphers) == 0 {
		return d.Body, nil
	}
	plain, err := a.decrypt(d.Body)
	if err != nil {
		return nil, err
	}
	d.Scratch = argosPlaintext(plain)
	return plain, nil
}

// CredentialHeaders names the configured static headers.
func (a *ARGOS) CredentialHeaders() []string { return a.Headers.names() }

// SourceCheckRequired gives the reason a route that decrypts ECB and checks
// no header must list its source_ips: the ciphertext can be forged from
// captured blocks, and a path token travels in the URL, in every log and
// proxy on the way.
func (a *ARGOS) SourceCheckRequired() string {
	if a.Mode != string(verify.ModeECB) || len(a.Headers) > 0 {
		return ""
	}
	return "argos mode ecb proves nothing by itself: " + argosECBMalleable +
		"; a path_token is no independent check (it travels in the URL); " +
		"add a header check set up with ARGOS (`header <Name> <value>`)"
}

// CredentialInURI reports whether the route takes a path token.
func (a *ARGOS) CredentialInURI() bool { return len(a.PathTokens) > 0 }

// UnmarshalCaddyfile sets up the vendor from Caddyfile tokens. Syntax:
//
//	argos {
//		secret <api key or secret key>   # repeatable; turns on decryption
//		mode ecb|cbc|gcm                 # required with secret; ecb also
//		                                 # needs header or source_ips
//		cbc_iv prefix|zero|key           # mode cbc; default prefix
//		gcm_layout nonce_ciphertext_tag|nonce_tag_ciphertext  # mode gcm
//		gcm_nonce_size <bytes>           # mode gcm; default 12
//		header <Name> <value>            # repeatable
//		path_token <token>               # repeatable
//	}
func (a *ARGOS) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the vendor name
	for d.NextBlock(0) {
		if err := a.unmarshalOption(d); err != nil {
			return err
		}
	}
	return nil
}

func (a *ARGOS) unmarshalOption(d *caddyfile.Dispenser) error {
	var err error
	switch d.Val() {
	case "secret":
		err = ParseRepeated(d, &a.Secrets)
	case "mode":
		a.Mode, err = ParseOneArg(d)
	case "cbc_iv":
		a.CBCIV, err = ParseOneArg(d)
	case "gcm_layout":
		a.GCMLayout, err = ParseOneArg(d)
	case "gcm_nonce_size":
		var s string
		if s, err = ParseOneArg(d); err == nil {
			if a.GCMNonceSize, err = strconv.Atoi(s); err != nil {
				return d.Errf("bad gcm_nonce_size %q", s)
			}
		}
	case "header":
		err = parseStaticHeader(d, &a.Headers)
	case "path_token":
		err = ParseRepeated(d, &a.PathTokens)
	default:
		return d.Errf("unknown argos option %q", d.Val())
	}
	return err
}

// Interface guards
var (
	_ Vendor                = (*ARGOS)(nil)
	_ HeaderVerifier        = (*ARGOS)(nil)
	_ CredentialHeaderer    = (*ARGOS)(nil)
	_ SourceCheckRequirer   = (*ARGOS)(nil)
	_ URICredentialer       = (*ARGOS)(nil)
	_ caddy.Provisioner     = (*ARGOS)(nil)
	_ caddy.Validator       = (*ARGOS)(nil)
	_ caddyfile.Unmarshaler = (*ARGOS)(nil)
)
