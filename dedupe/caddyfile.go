package dedupe

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/internal/redisconn"
	"github.com/biohook/caddy-biohook/vendors"
)

// UnmarshalCaddyfile reads a dedupe block, with d at its `dedupe` token:
//
//	dedupe {
//		ttl <duration>              # default 72h
//		store memory|redis [<url>]  # default memory; a redis block takes
//		                            # url, address, username, password, db, tls
//		key_prefix <prefix>         # default biohook:
//		name <name>                 # the route's, in its keys
//		max_entries <n>             # memory store bound, default 100000
//		lease <duration>            # default 30s
//		wait <duration>             # default 2s
//		on_store_error reject|forward
//	}
func (c *Config) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "ttl":
			c.TTL, err = vendors.ParseDuration(d)
		case "lease":
			c.Lease, err = vendors.ParseDuration(d)
		case "wait":
			c.Wait, err = vendors.ParseDuration(d)
		case "store":
			err = c.unmarshalStore(d)
		case "key_prefix":
			c.KeyPrefix, err = vendors.ParseOneArg(d)
		case "name":
			c.Name, err = vendors.ParseOneArg(d)
		case "max_entries":
			var s string
			if s, err = vendors.ParseOneArg(d); err == nil {
				if c.MaxEntries, err = strconv.Atoi(s); err != nil || c.MaxEntries < 1 {
					return d.Errf("max_entries must be a positive number, not %q", s)
				}
			}
		case "on_store_error":
			c.OnStoreError, err = vendors.ParseOneArg(d)
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
func (c *Config) unmarshalStore(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	c.Store = d.Val()
	if c.Store != "redis" {
		if d.NextArg() {
			return d.ArgErr()
		}
		return nil
	}
	var err error
	c.Redis, err = redisconn.UnmarshalCaddyfile(d)
	return err
}
