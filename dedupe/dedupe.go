// Package dedupe remembers which events a route forwarded, so that each
// reaches the application once: Config (the `dedupe` block of a biohook
// route), the Store contract, and its two stores, the memory of one
// instance and Redis for a cluster.
//
// It knows events only by the keys its caller gives (a digest of the route,
// the event's source and its id) and answers what became of each; it does
// not know the HTTP handler, its requests or its answers, nor durable
// delivery. It registers no Caddy module.
package dedupe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/internal/redisconn"
)

// Config forwards each event once: a delivery whose event (source and id)
// was already forwarded and accepted within TTL is answered as a success
// and not forwarded again. Vendors retry, and an attacker can replay a
// captured delivery; the application sees each event once.
type Config struct {
	// How long a forwarded event is remembered. Default: 72h. It must be
	// at least the vendor's signature window (max_skew), or a replay could
	// outlive the memory of the original.
	TTL caddy.Duration `json:"ttl,omitempty"`

	// Where events are remembered: "memory" (default; this instance only,
	// kept across config reloads) or "redis" (every instance sharing it).
	Store string `json:"store,omitempty"`

	// The Redis to use with store "redis".
	Redis *redisconn.Config `json:"redis,omitempty"`

	// Prefix of the Redis keys. Default: "biohook:". A key is the prefix,
	// the route's identity, ":" and a digest of the route, the event's
	// source and its id.
	KeyPrefix string `json:"key_prefix,omitempty"`

	// Tells this route's events apart from those of the vendor's other
	// routes: each route remembers its own events, under its identity,
	// "<vendor>/<name>". Without a name, the identity is derived from the
	// vendor's settings, credentials aside (so that a rotation of secrets
	// keeps it), and two routes of one config whose settings derive the
	// same identity are refused: give each a name. Routes given the same
	// name share one memory, for one endpoint reached at two addresses.
	// Letters, digits, ".", "_" and "-".
	Name string `json:"name,omitempty"`

	// How many events the memory store of the route holds: events
	// remembered within ttl and events being forwarded. None is forgotten
	// to make room: when the store is full, a new event is answered 503
	// with Retry-After (reason dedupe_store_full) until remembered ones
	// expire. Default: 100000.
	MaxEntries int `json:"max_entries,omitempty"`

	// How long a delivery being forwarded holds its event, so that a crashed
	// instance does not block a retry forever. Default: 30s.
	Lease caddy.Duration `json:"lease,omitempty"`

	// How long a copy that arrives while the event is in flight waits for
	// the outcome before it is answered 503 with Retry-After. Default: 2s,
	// within Entrust's 3 s.
	Wait caddy.Duration `json:"wait,omitempty"`

	// What to do when the store cannot be reached: "reject" (default: 503
	// with Retry-After, so the vendor retries) or "forward" (availability
	// first: forward without deduplication).
	OnStoreError string `json:"on_store_error,omitempty"`

	store       Store
	poolKey     string
	storeName   string
	identity    string // the route's, in its keys: vendor/name or vendor#digest
	prefix      string // of its keys: none in the route's own memory store
	vendor      string
	logger      *zap.Logger
	storeErrors prometheus.Counter
	down        atomic.Bool // the store is failing; logged once per outage
	full        atomic.Bool // the memory store is full; logged once per episode
}

// Defaults.
const (
	DefaultTTL        = 72 * time.Hour   // at least any vendor's signature window
	DefaultMaxEntries = 100000           // about 20 MB of memory store
	DefaultLease      = 30 * time.Second // Caddy's reverse_proxy answers or gives up within it
	DefaultWait       = 2 * time.Second  // within Entrust's 3 s timeout
)

// memoryPool keeps each route's memory store across config reloads, so a
// reload does not forget which events were forwarded.
var memoryPool = caddy.NewUsagePool()

// Provision settles the route's identity and takes its store. vendor is the
// vendor module's name, vendorRaw its settings as the config holds them;
// claimIdentity records a derived identity for the config being loaded and
// reports false if another route of that config derived it already.
func (c *Config) Provision(ctx caddy.Context, vendor string, vendorRaw json.RawMessage, claimIdentity func(string) bool) error {
	c.logger = ctx.Logger().Named("dedupe")
	c.vendor = vendor
	c.storeErrors = storeErrorsTotal.WithLabelValues(vendor)
	c.setDefaults()
	if err := c.provisionIdentity(vendor, vendorRaw, claimIdentity); err != nil {
		return err
	}
	switch c.Store {
	case "memory":
		return c.provisionMemory()
	case "redis":
		return c.provisionRedis()
	}
	return fmt.Errorf("dedupe store %q: want memory or redis", c.Store)
}

// provisionIdentity names the route in its store, and refuses a second
// unnamed route of the config that derives the same identity.
func (c *Config) provisionIdentity(vendor string, vendorRaw json.RawMessage, claimIdentity func(string) bool) error {
	if c.Name != "" {
		c.identity = namedIdentity(vendor, c.Name)
		return nil
	}
	var err error
	if c.identity, err = derivedIdentity(vendor, vendorRaw); err != nil {
		return fmt.Errorf("biohook dedupe: %w", err)
	}
	if !claimIdentity(c.identity) {
		return fmt.Errorf("biohook dedupe: two %s routes have the same settings (credentials aside) and no name, "+
			"so one would answer the other's events as duplicates: give each a name (dedupe { name ... })", vendor)
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.TTL == 0 {
		c.TTL = caddy.Duration(DefaultTTL)
	}
	if c.Store == "" {
		c.Store = "memory"
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = "biohook:"
	}
	if c.MaxEntries == 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	if c.Lease == 0 {
		c.Lease = caddy.Duration(DefaultLease)
	}
	if c.Wait == 0 {
		c.Wait = caddy.Duration(DefaultWait)
	}
	if c.OnStoreError == "" {
		c.OnStoreError = "reject"
	}
}

func (c *Config) provisionMemory() error {
	c.poolKey, c.storeName = "memory|"+c.identity, "memory"
	v, _, err := memoryPool.LoadOrNew(c.poolKey, func() (caddy.Destructor, error) {
		return newMemoryStore(c.MaxEntries), nil
	})
	if err != nil {
		return err
	}
	store := v.(*memoryStore)
	// The newest config's bound holds: raising max_entries and reloading
	// gives a full store room, without forgetting what it remembers.
	store.setMaxEntries(c.MaxEntries)
	c.store = store
	return nil
}

func (c *Config) provisionRedis() error {
	if c.Redis == nil {
		c.Redis = new(redisconn.Config)
	}
	opts, key, err := c.Redis.Options()
	if err != nil {
		return err
	}
	c.poolKey, c.storeName = key, "redis"
	c.prefix = c.KeyPrefix + c.identity + ":"
	v, _, err := redisPool.LoadOrNew(key, func() (caddy.Destructor, error) {
		return &redisStore{client: redisconn.NewClient(opts)}, nil
	})
	if err != nil {
		return err
	}
	c.store = v.(*redisStore)
	return nil
}

// Cleanup lets go of the shared store; the last user closes it.
func (c *Config) Cleanup() error {
	if c.poolKey == "" {
		return nil
	}
	pool := memoryPool
	if c.storeName == "redis" {
		pool = redisPool
	}
	_, err := pool.Delete(c.poolKey)
	return err
}

// Validate checks the settings; maxSkew is the vendor's signature window,
// which the memory of an event must outlast.
func (c *Config) Validate(maxSkew time.Duration) error {
	if c.TTL < 0 || c.Lease < 0 || c.Wait < 0 || c.MaxEntries < 0 {
		return errors.New("dedupe ttl, lease, wait and max_entries must not be negative")
	}
	if c.Name != "" && !routeNamePattern.MatchString(c.Name) {
		return fmt.Errorf("dedupe name %q: want up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", c.Name)
	}
	if time.Duration(c.TTL) < maxSkew {
		return fmt.Errorf("dedupe ttl %s is shorter than the vendor's max_skew %s: a replay could outlive the memory of the original",
			time.Duration(c.TTL), maxSkew)
	}
	if c.OnStoreError != "reject" && c.OnStoreError != "forward" {
		return fmt.Errorf("dedupe on_store_error %q: want reject or forward", c.OnStoreError)
	}
	return nil
}

// Identity is the route's name in its store: "<vendor>/<name>", or
// "<vendor>#<digest>" derived from its settings. Set by Provision.
func (c *Config) Identity() string { return c.identity }

// ForwardOnError reports whether a delivery goes on, undeduplicated, when
// the store cannot be reached (on_store_error forward).
func (c *Config) ForwardOnError() bool { return c.OnStoreError == "forward" }

// Ticket is a request's claim on an event: Done settles it.
type Ticket struct {
	c          *Config
	key, token string
}

// Claim takes the event named by key (bounded in size, and unique to the
// route and the event: the caller's digest), waiting a bounded time while
// another request holds it, so that a copy learns the outcome instead of
// being refused. Only a Claimed ticket is to be settled with Done. An error
// means the store could not be reached; it is logged once per outage.
func (c *Config) Claim(ctx context.Context, key string) (Ticket, State, error) {
	t := Ticket{c: c, key: key, token: redisconn.Token()}
	if c.prefix != "" {
		t.key = c.prefix + key
	}
	deadline := time.Now().Add(time.Duration(c.Wait))
	pause := 10 * time.Millisecond
	for {
		state, err := c.store.Claim(ctx, t.key, t.token, time.Duration(c.Lease))
		c.result(err)
		if err != nil || state != InFlight || time.Now().Add(pause).After(deadline) {
			c.noteRoom(state, err)
			return t, state, err
		}
		select {
		case <-ctx.Done():
			return t, state, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// noteRoom logs a full memory store once when it fills (forgetting a
// remembered event, or one being forwarded, to make room would let a copy
// of it through; the vendor retries the 503 its caller answers, and entries
// expire meanwhile), and once when it has room again.
func (c *Config) noteRoom(state State, err error) {
	switch {
	case err != nil:
	case state == Full:
		if c.full.CompareAndSwap(false, true) {
			c.logger.Warn("dedupe store full: new events are answered 503 until remembered ones expire; raise max_entries",
				zap.String("vendor", c.vendor), zap.String("route", c.identity), zap.Int("max_entries", c.MaxEntries))
		}
	case state == Claimed:
		if c.full.Load() && c.full.CompareAndSwap(true, false) {
			c.logger.Info("dedupe store has room again", zap.String("vendor", c.vendor), zap.String("route", c.identity))
		}
	}
}

// Done settles a claimed event: accepted marks it seen for the ttl;
// otherwise it is released, so that a retry goes through. The outcome is
// recorded even if the request's context is cancelled (the vendor hung up).
func (t Ticket) Done(ctx context.Context, accepted bool) {
	c := t.c
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if accepted {
		c.result(c.store.Complete(ctx, t.key, t.token, time.Duration(c.TTL)))
	} else {
		c.result(c.store.Release(ctx, t.key, t.token))
	}
}

// result counts a store error and logs an outage once when it starts and
// once when it ends.
func (c *Config) result(err error) {
	if err != nil {
		c.storeErrors.Inc()
		if c.down.CompareAndSwap(false, true) {
			c.logger.Error("dedupe store unavailable", zap.String("vendor", c.vendor),
				zap.String("store", c.storeName), zap.Error(err))
		}
		return
	}
	if c.down.CompareAndSwap(true, false) {
		c.logger.Info("dedupe store available again", zap.String("vendor", c.vendor), zap.String("store", c.storeName))
	}
}
