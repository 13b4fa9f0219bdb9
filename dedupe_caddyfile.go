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
	dd.Redis = new(RedisStore)
	if d.NextArg() {
		dd.Redis.URL = d.Val()
		if d.NextArg() {
			return d.ArgErr()
		}
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "url":
			dd.Redis.URL, err = vendors.ParseOneArg(d)
		case "address":
			dd.Redis.Address, err = vendors.ParseOneArg(d)
		case "username":
			dd.Redis.Username, err = vendors.ParseOneArg(d)
		case "password":
			dd.Redis.Password, err = vendors.ParseOneArg(d)
		case "db":
			var s string
			if s, err = vendors.ParseOneArg(d); err == nil {
				if dd.Redis.DB, err = strconv.Atoi(s); err != nil {
					return d.Errf("db must be a number, not %q", s)
				}
			}
		case "tls":
			dd.Redis.TLS = true
		default:
			return d.Errf("unknown redis option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}
