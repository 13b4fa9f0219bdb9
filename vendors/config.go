package vendors

import (
	"fmt"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/verify"
)

// ResolveSecret expands the global placeholders in a configured secret
// ({env.X}, {file./run/secrets/x}, ...) once, at provision. An unknown or
// empty placeholder fails the config load instead of becoming an empty
// secret. what names the setting in the error; the value never appears.
func ResolveSecret(what, configured string) (string, error) {
	if configured == "" {
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
	if value == "" {
		return "", fmt.Errorf("%s resolves to an empty value", what)
	}
	return value, nil
}

// ResolveSecrets resolves each configured secret and keeps them for
// constant-time use. At least one is required: a route that checks nothing
// must not start.
func ResolveSecrets(what string, configured []string) (verify.Secrets, error) {
	if len(configured) == 0 {
		return nil, fmt.Errorf("no %s configured: every route must prove its deliveries", what)
	}
	keys := make([][]byte, 0, len(configured))
	for i, c := range configured {
		v, err := ResolveSecret(fmt.Sprintf("%s #%d", what, i+1), c)
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
