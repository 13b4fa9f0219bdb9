package biohook

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/vendors"
)

// unmarshalCaddyfile reads a dedupe block; see Handler.UnmarshalCaddyfile.
func (dd *Dedupe) unmarshalCaddyfile(d *caddyfile.Dispenser) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "ttl":
			dd.TTL, err = vendors.ParseDuration(d)
		case "lease":
			dd.Lease, err = vendors.ParseDuration(d)
		case "wait":
			dd.Wait, err = vendors.ParseDuration(d)
		case "store":
			err = dd.unmarshalStore(d)
		case "key_prefix":
			dd.KeyPrefix, err = vendors.ParseOneArg(d)
		case "name":
			dd.Name, err = vendors.ParseOneArg(d)
		case "max_entries":
			var s string
			if s, err = vendors.ParseOneArg(d); err == nil {
				if dd.MaxEntries, err = strconv.Atoi(s); err != nil || dd.MaxEntries < 1 {
					return d.Errf("max_entries must be a positive number, not %q", s)
				}
			}
		case "on_store_error":
			dd.OnStoreError, err = vendors.ParseOneArg(d)
		default:
			return d.Errf("unknown dedupe option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// unmarshalStore reads `store memory`, `store redis <url>` or
// `store redis { ... }`.
func (dd *Dedupe) unmarshalStore(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	dd.Store = d.Val()
	if dd.Store != "redis" {
		if d.NextArg() {
			return d.ArgErr()
		}
		return nil
	}
	var err error
	dd.Redis, err = unmarshalRedis(d)
	return err
}

// unmarshalRedis reads what follows `redis`: a URL, or a block of url,
// address, username, password, db and tls.
func unmarshalRedis(d *caddyfile.Dispenser) (*RedisStore, error) {
	rs := new(RedisStore)
	if d.NextArg() {
		rs.URL = d.Val()
		if d.NextArg() {
			return nil, d.Errf("redis takes one URL (a space in it? percent-encode it)")
		}
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "url":
			rs.URL, err = parseSecretArg(d)
		case "address":
			rs.Address, err = vendors.ParseOneArg(d)
		case "username":
			rs.Username, err = parseSecretArg(d)
		case "password":
			rs.Password, err = parseSecretArg(d)
		case "db":
			var s string
			if s, err = vendors.ParseOneArg(d); err == nil {
				if rs.DB, err = strconv.Atoi(s); err != nil {
					return nil, d.Errf("db must be a number, not %q", s)
				}
			}
		case "tls":
			rs.TLS = true
		default:
			return nil, d.Errf("unknown redis option %q", d.Val())
		}
		if err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// parseSecretArg reads the one argument of an option that holds a secret
// (or a URL with one): an error names the option, never the tokens, which
// could be the secret split at a space.
func parseSecretArg(d *caddyfile.Dispenser) (string, error) {
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
