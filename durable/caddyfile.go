package durable

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/internal/redisconn"
	"github.com/biohook/caddy-biohook/vendors"
)

// UnmarshalCaddyfile reads a durable block, with d at its `durable` token:
//
//	durable {
//		spool bolt [<path>]             # or: spool bolt { path <path> }
//		spool redis [<url>]             # or a block, as dedupe's store redis
//		key_prefix <prefix>             # spool redis; default biohook:spool:
//		path <path>
//		retry exponential <base> <max>  # default 1s 5m, jittered
//		retry schedule <wait>...        # explicit waits, then dead letter
//		max_age <duration>              # default 72h
//		attempts <n>                    # default: as many as max_age allows
//		attempt_timeout <duration>      # default 30s
//		concurrency <n>                 # default 8
//		key <placeholder>               # per-key order
//		keep_dead <duration>            # default 168h
//		remember <duration>             # default 72h
//		name <name>
//		record_key <secret>             # repeatable; default: from the vendor's secrets
//	}
func (c *Config) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "spool":
			err = c.unmarshalSpool(d)
		case "path":
			c.Path, err = vendors.ParseOneArg(d)
		case "retry":
			c.Retry, err = unmarshalRetry(d)
		case "max_age":
			c.MaxAge, err = vendors.ParseDuration(d)
		case "attempts":
			c.MaxAttempts, err = parsePositive(d)
		case "attempt_timeout":
			c.AttemptTimeout, err = vendors.ParseDuration(d)
		case "concurrency":
			c.Concurrency, err = parsePositive(d)
		case "key":
			c.Key, err = vendors.ParseOneArg(d)
		case "keep_dead":
			c.KeepDead, err = vendors.ParseDuration(d)
		case "remember":
			c.Remember, err = vendors.ParseDuration(d)
		case "name":
			c.Name, err = vendors.ParseOneArg(d)
		case "key_prefix":
			c.KeyPrefix, err = vendors.ParseOneArg(d)
		case "record_key":
			var key string
			if key, err = redisconn.SecretArg(d); err == nil {
				c.RecordKeys = append(c.RecordKeys, key)
			}
		default:
			return d.Errf("unknown durable option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// unmarshalSpool reads `spool bolt`, `spool bolt <path>`,
// `spool bolt { path <path> }`, `spool redis <url>` or
// `spool redis { url ... }`.
func (c *Config) unmarshalSpool(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	c.Spool = d.Val()
	switch c.Spool {
	case "redis":
		var err error
		c.Redis, err = redisconn.UnmarshalCaddyfile(d)
		return err
	case "bolt":
	default:
		return d.Errf("durable spool %q: want bolt or redis", c.Spool)
	}
	if d.NextArg() {
		c.Path = d.Val()
		if d.NextArg() {
			return d.ArgErr()
		}
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if d.Val() != "path" {
			return d.Errf("unknown spool bolt option %q", d.Val())
		}
		var err error
		if c.Path, err = vendors.ParseOneArg(d); err != nil {
			return err
		}
	}
	return nil
}

// unmarshalRetry reads `retry exponential <base> <max>` or
// `retry schedule <wait>...`.
func unmarshalRetry(d *caddyfile.Dispenser) (*RetryPolicy, error) {
	if !d.NextArg() {
		return nil, d.ArgErr()
	}
	kind := d.Val()
	var waits []caddy.Duration
	for d.NextArg() {
		wait, err := caddy.ParseDuration(d.Val())
		if err != nil {
			return nil, d.Errf("bad retry wait %q: %v", d.Val(), err)
		}
		waits = append(waits, caddy.Duration(wait))
	}
	switch kind {
	case "exponential":
		if len(waits) != 2 {
			return nil, d.Errf("retry exponential takes a base and a maximum, e.g. `retry exponential 1s 5m`")
		}
		return &RetryPolicy{Base: waits[0], Max: waits[1]}, nil
	case "schedule":
		if len(waits) == 0 {
			return nil, d.Errf("retry schedule takes one or more waits, e.g. `retry schedule 5s 5m 30m 2h`")
		}
		return &RetryPolicy{Schedule: waits}, nil
	}
	return nil, d.Errf("retry %q: want exponential or schedule", kind)
}

func parsePositive(d *caddyfile.Dispenser) (int, error) {
	option := d.Val()
	s, err := vendors.ParseOneArg(d)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, d.Errf("%s must be a positive number, not %q", option, s)
	}
	return n, nil
}
