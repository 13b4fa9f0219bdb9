// Package durable stores each verified event before the vendor is
// answered, then delivers it through the rest of its route with retries:
// Config (the `durable` block of a biohook route), the retry policy, the
// bbolt and Redis spools with their delivery loops, the records and their
// MACs, the admin API that lists and replays dead letters
// (admin.api.biohook) and the `caddy biohook dlq` command that calls it.
//
// A spool sees a route only as a Route, which this package owns: its name,
// settings, keys, server and the handler its deliveries must reach, as an
// opaque caddyhttp.MiddlewareHandler. It does not know the biohook handler
// nor dedupe, and imports neither; of the vendors it knows only the
// Caddyfile and secret helpers (the handler hands a route its vendor's key
// material and path redactor).
package durable

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/internal/redisconn"
)

// Config stores each verified event before the vendor is answered, then
// delivers it through the rest of the route with retries: an application
// that is down for a deploy loses nothing, though the vendor gives up after
// seconds.
type Config struct {
	// Where events wait: "bolt" (default: an embedded bbolt file, every
	// commit fsync'd; one Caddy instance) or "redis" (several instances
	// share the events and the work).
	Spool string `json:"spool,omitempty"`

	// The spool file, with spool bolt. Default: biohook/spool.db under
	// Caddy's data directory.
	Path string `json:"path,omitempty"`

	// The Redis, with spool redis.
	Redis *redisconn.Config `json:"redis,omitempty"`

	// Prefix of the Redis keys, with spool redis. Default: "biohook:spool:".
	KeyPrefix string `json:"key_prefix,omitempty"`

	// When to try again after a failed attempt.
	Retry *RetryPolicy `json:"retry,omitempty"`

	// How long an event is tried before it is dead-lettered. Default: 72h.
	MaxAge caddy.Duration `json:"max_age,omitempty"`

	// How many attempts before an event is dead-lettered; 0: as many as
	// max_age allows (or the schedule's length plus one).
	MaxAttempts int `json:"max_attempts,omitempty"`

	// How long one attempt may take. Default: 30s.
	AttemptTimeout caddy.Duration `json:"attempt_timeout,omitempty"`

	// How many events of this route are delivered at once. Default: 8.
	Concurrency int `json:"concurrency,omitempty"`

	// A placeholder whose value orders events: events with the same value
	// are delivered one at a time, in the order they arrived. Empty: no
	// order is kept.
	Key string `json:"key,omitempty"`

	// How long dead letters are kept for listing and replay. Default: 168h.
	KeepDead caddy.Duration `json:"keep_dead,omitempty"`

	// How long a delivered event is remembered, so that a late copy from
	// the vendor is answered as a duplicate and not delivered again.
	// Default: 72h; at least the vendor's max_skew.
	Remember caddy.Duration `json:"remember,omitempty"`

	// Tells apart two durable routes of one vendor that share a spool file.
	Name string `json:"name,omitempty"`

	// The keys that authenticate the spool's records (HMAC-SHA256, through
	// HKDF), at least 16 bytes each: the first signs, each verifies. Give
	// more than one while rotating. Placeholders such as {env.X} are
	// resolved when the config loads. Default: derived from the vendor's
	// shared secrets; a route whose vendor has none (standard_webhooks with
	// public keys only) needs one with spool redis.
	RecordKeys []string `json:"record_keys,omitempty"`

	poolKey   string         // the spool's key in spoolPool
	redisOpts *redis.Options // with spool redis
}

// RetryPolicy is exponential backoff with jitter, or an explicit schedule.
type RetryPolicy struct {
	// The first wait, doubled after each failure up to Max. Default: 1s.
	Base caddy.Duration `json:"base,omitempty"`
	// The longest wait. Default: 5m.
	Max caddy.Duration `json:"max,omitempty"`
	// The waits after the first, second, ... failure. When set, Base and
	// Max are not used, and the event is dead-lettered after the schedule
	// runs out.
	Schedule []caddy.Duration `json:"schedule,omitempty"`
}

// Defaults.
const (
	DefaultMaxAge         = 72 * time.Hour     // a weekend's outage of the app, with a day to spare
	DefaultAttemptTimeout = 30 * time.Second   // as long as a live delivery may take
	DefaultConcurrency    = 8                  // attempts of a route at once
	DefaultKeepDead       = 7 * 24 * time.Hour // a week to notice and replay a dead letter
	DefaultRemember       = 72 * time.Hour     // at least any vendor's signature window
	DefaultRetryBase      = time.Second        // the first wait after a failure
	DefaultRetryMax       = 5 * time.Minute    // the longest wait between attempts
)

func (c *Config) setDefaults() {
	if c.Spool == "" {
		c.Spool = "bolt"
	}
	if c.Path == "" && c.Spool == "bolt" {
		c.Path = filepath.Join(caddy.AppDataDir(), "biohook", "spool.db")
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = "biohook:spool:"
	}
	if c.Retry == nil {
		c.Retry = new(RetryPolicy)
	}
	if c.Retry.Base == 0 {
		c.Retry.Base = caddy.Duration(DefaultRetryBase)
	}
	if c.Retry.Max == 0 {
		c.Retry.Max = caddy.Duration(DefaultRetryMax)
	}
	if c.MaxAge == 0 {
		c.MaxAge = caddy.Duration(DefaultMaxAge)
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = caddy.Duration(DefaultAttemptTimeout)
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.KeepDead == 0 {
		c.KeepDead = caddy.Duration(DefaultKeepDead)
	}
	if c.Remember == 0 {
		c.Remember = caddy.Duration(DefaultRemember)
	}
}

// Validate checks the settings, after Provision has set the defaults;
// maxSkew is the vendor's signature window, which the memory of a delivered
// event must outlast.
func (c *Config) Validate(maxSkew time.Duration) error {
	if c.MaxAge < 0 || c.AttemptTimeout < 0 || c.KeepDead < 0 || c.Remember < 0 || c.MaxAttempts < 0 || c.Concurrency < 0 {
		return errors.New("durable max_age, attempt_timeout, keep_dead, remember, attempts and concurrency must not be negative")
	}
	if c.Retry.Base < 0 || c.Retry.Max < c.Retry.Base {
		return errors.New("durable retry: want 0 < base <= max")
	}
	for _, wait := range c.Retry.Schedule {
		if wait < 0 {
			return errors.New("durable retry schedule: waits must not be negative")
		}
	}
	if time.Duration(c.Remember) < maxSkew {
		return fmt.Errorf("durable remember %s is shorter than the vendor's max_skew %s: a replay could outlive the memory of the original",
			time.Duration(c.Remember), maxSkew)
	}
	return nil
}

// nextAttempt says when to try again after the given number of failed
// attempts, or give up (false) when the policy is spent.
func (c *Config) nextAttempt(rec *record, now time.Time) (time.Time, bool) {
	if c.MaxAttempts > 0 && rec.Attempts >= c.MaxAttempts {
		return time.Time{}, false
	}
	wait, ok := c.Retry.wait(rec.Attempts)
	if !ok {
		return time.Time{}, false
	}
	next := now.Add(wait)
	if next.Sub(rec.Enqueued) > time.Duration(c.MaxAge) {
		return time.Time{}, false
	}
	return next, true
}

// wait is the pause after the n-th failure (n >= 1). Exponential waits are
// jittered over their upper half, so that events failed together do not
// retry together.
func (p *RetryPolicy) wait(n int) (time.Duration, bool) {
	if len(p.Schedule) > 0 {
		if n > len(p.Schedule) {
			return 0, false
		}
		return time.Duration(p.Schedule[n-1]), true
	}
	wait, maxWait := time.Duration(p.Base), time.Duration(p.Max)
	for i := 1; i < n && wait < maxWait; i++ {
		wait *= 2 // doubled step by step and capped: a shift would overflow after ~35 failures
	}
	wait = min(wait, maxWait)
	half := wait / 2
	return half + rand.N(half+1), true
}

// locate resolves where the spool is and the key that shares it between
// routes and configs.
func (c *Config) locate() error {
	switch c.Spool {
	case "bolt":
		path, err := filepath.Abs(c.Path)
		if err != nil {
			return err
		}
		c.Path, c.poolKey = path, "bolt|"+path
		return nil
	case "redis":
		if c.Redis == nil {
			c.Redis = new(redisconn.Config)
		}
		opts, key, err := c.Redis.Options()
		if err != nil {
			return err
		}
		c.redisOpts, c.poolKey = opts, "redis-spool|"+key+"|"+c.KeyPrefix
		return nil
	}
	return fmt.Errorf("spool %q: want bolt or redis", c.Spool)
}

// open opens the spool; spoolPool calls it for the first route to need it.
func (c *Config) open(logger *zap.Logger) (spooler, error) {
	if c.Spool == "redis" {
		return openRedisSpool(c.redisOpts, c.KeyPrefix, logger)
	}
	return openBoltSpool(c.Path, logger)
}

// where names the spool for people.
func (c *Config) where() string {
	if c.Spool == "redis" {
		return "redis://" + c.redisOpts.Addr + "/" + c.KeyPrefix
	}
	return c.Path
}
