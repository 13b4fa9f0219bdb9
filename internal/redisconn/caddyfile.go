package redisconn

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// UnmarshalCaddyfile reads what follows `redis` (in dedupe's `store redis`
// and durable's `spool redis`): a URL, or a block of url, address,
// username, password, db and tls.
func UnmarshalCaddyfile(d *caddyfile.Dispenser) (*Config, error) {
	c := new(Config)
	if d.NextArg() {
		c.URL = d.Val()
		if d.NextArg() {
			return nil, d.Errf("redis takes one URL (a space in it? percent-encode it)")
		}
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "url":
			c.URL, err = SecretArg(d)
		case "address":
			c.Address, err = oneArg(d)
		case "username":
			c.Username, err = SecretArg(d)
		case "password":
			c.Password, err = SecretArg(d)
		case "db":
			var s string
			if s, err = oneArg(d); err == nil {
				if c.DB, err = strconv.Atoi(s); err != nil {
					return nil, d.Errf("db must be a number, not %q", s)
				}
			}
		case "tls":
			c.TLS = true
		default:
			return nil, d.Errf("unknown redis option %q", d.Val())
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// SecretArg reads the one argument of an option that holds a secret (or a
// URL with one): an error names the option, never the tokens, which could
// be the secret split at a space.
func SecretArg(d *caddyfile.Dispenser) (string, error) {
	option := d.Val()
	if !d.NextArg() {
		return "", d.Errf("%s takes one argument", option)
	}
	v := d.Val()
	if d.NextArg() {
		return "", d.Errf("%s takes one argument (a space in it? quote it)", option)
	}
	return v, nil
}

// oneArg reads an option that takes exactly one argument.
func oneArg(d *caddyfile.Dispenser) (string, error) {
	if !d.NextArg() {
		return "", d.ArgErr()
	}
	v := d.Val()
	if d.NextArg() {
		return "", d.ArgErr()
	}
	return v, nil
}
