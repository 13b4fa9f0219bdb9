package biohook

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

// Durable stores each verified event before the vendor is answered, then
// delivers it through the rest of the route with retries: an application
// that is down for a deploy loses nothing, though the vendor gives up after
// seconds.
type Durable struct {
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

// Defaults for durable delivery.
const (
	DefaultDurableMaxAge         = 72 * time.Hour
	DefaultDurableAttemptTimeout = 30 * time.Second
	DefaultDurableConcurrency    = 8
	DefaultDurableKeepDead       = 7 * 24 * time.Hour
	DefaultDurableRemember       = 72 * time.Hour
	DefaultRetryBase             = time.Second
	DefaultRetryMax              = 5 * time.Minute
)

func (d *Durable) setDefaults() {
	if d.Spool == "" {
		d.Spool = "bolt"
	}
	if d.Path == "" && d.Spool == "bolt" {
		d.Path = filepath.Join(caddy.AppDataDir(), "biohook", "spool.db")
	}
	if d.KeyPrefix == "" {
		d.KeyPrefix = "biohook:spool:"
	}
	if d.Retry == nil {
		d.Retry = new(RetryPolicy)
	}
	if d.Retry.Base == 0 {
		d.Retry.Base = caddy.Duration(DefaultRetryBase)
	}
	if d.Retry.Max == 0 {
		d.Retry.Max = caddy.Duration(DefaultRetryMax)
	}
	if d.MaxAge == 0 {
		d.MaxAge = caddy.Duration(DefaultDurableMaxAge)
	}
	if d.AttemptTimeout == 0 {
		d.AttemptTimeout = caddy.Duration(DefaultDurableAttemptTimeout)
	}
	if d.Concurrency == 0 {
		d.Concurrency = DefaultDurableConcurrency
	}
	if d.KeepDead == 0 {
		d.KeepDead = caddy.Duration(DefaultDurableKeepDead)
	}
	if d.Remember == 0 {
		d.Remember = caddy.Duration(DefaultDurableRemember)
	}
}

func (d *Durable) validate(maxSkew time.Duration) error {
	if d.MaxAge < 0 || d.AttemptTimeout < 0 || d.KeepDead < 0 || d.Remember < 0 || d.MaxAttempts < 0 || d.Concurrency < 0 {
		return errors.New("durable max_age, attempt_timeout, keep_dead, remember, attempts and concurrency must not be negative")
	}
	if d.Retry.Base < 0 || d.Retry.Max < d.Retry.Base {
		return errors.New("durable retry: want 0 < base <= max")
	}
	for _, wait := range d.Retry.Schedule {
		if wait < 0 {
			return errors.New("durable retry schedule: waits must not be negative")
		}
	}
	if time.Duration(d.Remember) < maxSkew {
		return fmt.Errorf("durable remember %s is shorter than the vendor's max_skew %s: a replay could outlive the memory of the original",
			time.Duration(d.Remember), maxSkew)
	}
	return nil
}

// nextAttempt says when to try again after the given number of failed
// attempts, or give up (false) when the policy is spent.
func (d *Durable) nextAttempt(rec *record, now time.Time) (time.Time, bool) {
	if d.MaxAttempts > 0 && rec.Attempts >= d.MaxAttempts {
		return time.Time{}, false
	}
	wait, ok := d.Retry.wait(rec.Attempts)
	if !ok {
		return time.Time{}, false
	}
	next := now.Add(wait)
	if next.Sub(rec.Enqueued) > time.Duration(d.MaxAge) {
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
func (d *Durable) locate() error {
	switch d.Spool {
	case "bolt":
		path, err := filepath.Abs(d.Path)
		if err != nil {
			return err
		}
		d.Path, d.poolKey = path, "bolt|"+path
		return nil
	case "redis":
		if d.Redis == nil {
			d.Redis = new(redisconn.Config)
		}
		opts, key, err := d.Redis.Options()
		if err != nil {
			return err
		}
		d.redisOpts, d.poolKey = opts, "redis-spool|"+key+"|"+d.KeyPrefix
		return nil
	}
	return fmt.Errorf("spool %q: want bolt or redis", d.Spool)
}

// open opens the spool; spoolPool calls it for the first route to need it.
func (d *Durable) open(logger *zap.Logger) (spooler, error) {
	if d.Spool == "redis" {
		return openRedisSpool(d.redisOpts, d.KeyPrefix, logger)
	}
	return openBoltSpool(d.Path, logger)
}

// where names the spool for people.
func (d *Durable) where() string {
	if d.Spool == "redis" {
		return "redis://" + d.redisOpts.Addr + "/" + d.KeyPrefix
	}
	return d.Path
}
