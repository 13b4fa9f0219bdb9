package vendors

import (
	"fmt"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/verify"
)

// MinSecretLen is the shortest secret a route starts with, in bytes, not
// counting surrounding whitespace. A shorter webhook token, client secret,
// path token or credential header value can be guessed online, and a
// shorter MAC key searched offline from a single signed delivery.
const MinSecretLen = 16

// ResolveValue expands the global placeholders in a configured value that
// is not a secret (a client id, an application id, a public key) once, at
// provision. An unknown placeholder, or a value that is empty or only
// whitespace, fails the config load. what names the setting in the error;
// the value never appears.
func ResolveValue(what, configured string) (string, error) {
	if strings.TrimSpace(configured) == "" {
		return "", fmt.Errorf("%s is empty", what)
	}
	value, err := caddy.NewReplacer().ReplaceOrErr(configured, true, true)
	if err != nil {
		// The error quotes the placeholder's name (an environment variable
		// or a file path), never the value it stands for.
		return "", fmt.Errorf("%s: %w", what, err)
	}
	// {file.*} placeholders keep the file's trailing newline; a secret never has one.
	value = strings.TrimRight(value, "\r\n")
	if strings.TrimSpace(value) == "" {
		return "", fmt.Errorf("%s resolves to an empty value", what)
	}
	return value, nil
}

// ResolveSecret is ResolveValue for a secret, which must also be at least
// MinSecretLen bytes long. No option relaxes this for the vendors that
// call it: none of them is known to issue shorter credentials, and the
// ones a user chooses (static headers, path tokens, Incode's client
// secret) can always be long.
func ResolveSecret(what, configured string) (string, error) {
	return resolveSecret(what, configured, ShortSecrets{})
}

// ShortSecrets is how a vendor that may be issued short secrets lets the
// user accept them: Allowed is the user's choice, Option the setting that
// makes it, named in the refusal.
type ShortSecrets struct {
	Allowed bool
	Option  string
}

func resolveSecret(what, configured string, short ShortSecrets) (string, error) {
	value, err := ResolveValue(what, configured)
	if err != nil || short.Allowed {
		return value, err
	}
	if n := len(strings.TrimSpace(value)); n < MinSecretLen {
		if short.Option != "" {
			return "", fmt.Errorf("%s is shorter than %d bytes: use a longer one, or, if the vendor issues only "+
				"shorter secrets, set %s", what, MinSecretLen, short.Option)
		}
		return "", fmt.Errorf("%s is shorter than %d bytes: give the whole credential (no option allows a shorter one "+
			"for this vendor)", what, MinSecretLen)
	}
	return value, nil
}

// ResolveSecrets resolves each configured secret and keeps them for
// constant-time use. At least one is required: a route that checks nothing
// must not start. Each must be at least MinSecretLen bytes long.
func ResolveSecrets(what string, configured []string) (verify.Secrets, error) {
	return ResolveSecretsShort(what, configured, ShortSecrets{})
}

// ResolveSecretsShort is ResolveSecrets for a vendor with an option that
// accepts secrets shorter than MinSecretLen.
func ResolveSecretsShort(what string, configured []string, short ShortSecrets) (verify.Secrets, error) {
	if len(configured) == 0 {
		return nil, fmt.Errorf("no %s configured: every route must prove its deliveries", what)
	}
	keys := make([][]byte, 0, len(configured))
	for i, c := range configured {
		v, err := resolveSecret(fmt.Sprintf("%s #%d", what, i+1), c, short)
		if err != nil {
			return nil, err
		}
		keys = append(keys, []byte(v))
	}
	return verify.NewSecrets(keys), nil
}

// ParseOneArg reads a subdirective that takes exactly one argument.
func ParseOneArg(d *caddyfile.Dispenser) (string, error) {
	if !d.NextArg() {
		return "", d.ArgErr()
	}
	v := d.Val()
	if d.NextArg() {
		return "", d.ArgErr()
	}
	return v, nil
}

// ParseDuration reads one duration argument.
func ParseDuration(d *caddyfile.Dispenser) (caddy.Duration, error) {
	if !d.NextArg() {
		return 0, d.ArgErr()
	}
	dur, err := caddy.ParseDuration(d.Val())
	if err != nil {
		return 0, d.Errf("bad duration %q: %v", d.Val(), err)
	}
	if d.NextArg() {
		return 0, d.ArgErr()
	}
	return caddy.Duration(dur), nil
}

// ParseRepeated reads one argument of a subdirective that may be given more
// than once (a secret during a rotation) and appends it to *list.
func ParseRepeated(d *caddyfile.Dispenser, list *[]string) error {
	v, err := ParseOneArg(d)
	if err == nil {
		*list = append(*list, v)
	}
	return err
}
