package biohook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/vendors"
)

// Dedupe forwards each event once: a delivery whose event (source and id)
// was already forwarded and accepted within TTL is answered as a success
// and not forwarded again. Vendors retry, and an attacker can replay a
// captured delivery; the application sees each event once.
type Dedupe struct {
	// How long a forwarded event is remembered. Default: 72h. It must be
	// at least the vendor's signature window (max_skew), or a replay could
	// outlive the memory of the original.
	TTL caddy.Duration `json:"ttl,omitempty"`

	// Where events are remembered: "memory" (default; this instance only,
	// kept across config reloads) or "redis" (every instance sharing it).
	Store string `json:"store,omitempty"`

	// The Redis to use with store "redis".
	Redis *RedisStore `json:"redis,omitempty"`

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

	store     dedupeStore
	poolKey   string
	storeName string
	identity  string // the route's, in its keys: vendor/name or vendor#digest
	prefix    string // of its keys: none in the route's own memory store
	logger    *zap.Logger
	down      atomic.Bool // the store is failing; logged once per outage
	full      atomic.Bool // the memory store is full; logged once per episode
}

// Defaults for dedupe.
const (
	DefaultDedupeTTL        = 72 * time.Hour
	DefaultDedupeMaxEntries = 100000
	DefaultDedupeLease      = 30 * time.Second
	DefaultDedupeWait       = 2 * time.Second
)

// memoryPool keeps each route's memory store across config reloads, so a
// reload does not forget which events were forwarded.
var memoryPool = caddy.NewUsagePool()

// provision settles the route's identity and takes its store. vendorRaw is
// the vendor's settings, as the config holds them.
func (dd *Dedupe) provision(ctx caddy.Context, vendor string, vendorRaw []byte) error {
	dd.logger = ctx.Logger().Named("dedupe")
	dd.setDefaults()
	if err := dd.provisionIdentity(ctx, vendor, vendorRaw); err != nil {
		return err
	}
	switch dd.Store {
	case "memory":
		return dd.provisionMemory()
	case "redis":
		return dd.provisionRedis()
	}
	return fmt.Errorf("dedupe store %q: want memory or redis", dd.Store)
}

// provisionIdentity names the route in its store, and refuses a second
// unnamed route of the config that derives the same identity.
func (dd *Dedupe) provisionIdentity(ctx caddy.Context, vendor string, vendorRaw []byte) error {
	if dd.Name != "" {
		dd.identity = namedIdentity(vendor, dd.Name)
		return nil
	}
	var err error
	if dd.identity, err = derivedIdentity(vendor, vendorRaw); err != nil {
		return fmt.Errorf("biohook dedupe: %w", err)
	}
	app, err := ctx.App("biohook")
	if err != nil {
		return fmt.Errorf("biohook dedupe: %w", err)
	}
	if !app.(*App).claimIdentity(dd.identity) {
		return fmt.Errorf("biohook dedupe: two %s routes have the same settings (credentials aside) and no name, "+
			"so one would answer the other's events as duplicates: give each a name (dedupe { name ... })", vendor)
	}
	return nil
}

func (dd *Dedupe) setDefaults() {
	if dd.TTL == 0 {
		dd.TTL = caddy.Duration(DefaultDedupeTTL)
	}
	if dd.Store == "" {
		dd.Store = "memory"
	}
	if dd.KeyPrefix == "" {
		dd.KeyPrefix = "biohook:"
	}
	if dd.MaxEntries == 0 {
		dd.MaxEntries = DefaultDedupeMaxEntries
	}
	if dd.Lease == 0 {
		dd.Lease = caddy.Duration(DefaultDedupeLease)
	}
	if dd.Wait == 0 {
		dd.Wait = caddy.Duration(DefaultDedupeWait)
	}
	if dd.OnStoreError == "" {
		dd.OnStoreError = "reject"
	}
}

func (dd *Dedupe) provisionMemory() error {
	dd.poolKey, dd.storeName = "memory|"+dd.identity, "memory"
	v, _, err := memoryPool.LoadOrNew(dd.poolKey, func() (caddy.Destructor, error) {
		return newMemoryStore(dd.MaxEntries), nil
	})
	if err != nil {
		return err
	}
	store := v.(*memoryStore)
	// The newest config's bound holds: raising max_entries and reloading
	// gives a full store room, without forgetting what it remembers.
	store.setMaxEntries(dd.MaxEntries)
	dd.store = store
	return nil
}

func (dd *Dedupe) provisionRedis() error {
	if dd.Redis == nil {
		dd.Redis = new(RedisStore)
	}
	opts, key, err := dd.Redis.options()
	if err != nil {
		return err
	}
	dd.poolKey, dd.storeName = key, "redis"
	dd.prefix = dd.KeyPrefix + dd.identity + ":"
	v, _, err := redisPool.LoadOrNew(key, func() (caddy.Destructor, error) {
		return &redisStore{client: redisClient(opts)}, nil
	})
	if err != nil {
		return err
	}
	dd.store = v.(*redisStore)
	return nil
}

// cleanup lets go of the shared store; the last user closes it.
func (dd *Dedupe) cleanup() error {
	if dd.poolKey == "" {
		return nil
	}
	pool := memoryPool
	if dd.storeName == "redis" {
		pool = redisPool
	}
	_, err := pool.Delete(dd.poolKey)
	return err
}

func (dd *Dedupe) validate(maxSkew time.Duration) error {
	if dd.TTL < 0 || dd.Lease < 0 || dd.Wait < 0 || dd.MaxEntries < 0 {
		return errors.New("dedupe ttl, lease, wait and max_entries must not be negative")
	}
	if dd.Name != "" && !routeNamePattern.MatchString(dd.Name) {
		return fmt.Errorf("dedupe name %q: want up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", dd.Name)
	}
	if time.Duration(dd.TTL) < maxSkew {
		return fmt.Errorf("dedupe ttl %s is shorter than the vendor's max_skew %s: a replay could outlive the memory of the original",
			time.Duration(dd.TTL), maxSkew)
	}
	if dd.OnStoreError != "reject" && dd.OnStoreError != "forward" {
		return fmt.Errorf("dedupe on_store_error %q: want reject or forward", dd.OnStoreError)
	}
	return nil
}

// key is the store key of an event of this route: bounded in size
// whatever the vendor's id. The prefix is empty in the route's own memory
// store, where the key is all the entry holds.
func (dd *Dedupe) key(source, id string) string {
	var buf [160]byte
	return string(appendEventKey(append(buf[:0], dd.prefix...), dd.identity, source, id))
}

// forward hands the delivery to next once per event.
func (h *Handler) forwardOnce(w *answerWriter, r *http.Request, next caddyhttp.Handler, source, id string) error {
	dd := h.Dedupe
	key, token := dd.key(source, id), newToken()
	state, err := h.claim(r.Context(), key, token)
	if err != nil {
		return h.storeFailed(w, r, next, err)
	}
	switch state {
	case seen:
		return h.answerDuplicate(w, r, id)
	case inFlight:
		return h.refuse(w, r, rejInFlight)
	case full:
		return h.refuseFull(w, r)
	}
	if dd.full.Load() && dd.full.CompareAndSwap(true, false) {
		dd.logger.Info("dedupe store has room again", zap.String("vendor", h.vendorName), zap.String("route", dd.identity))
	}
	err = next.ServeHTTP(w, r)
	// The outcome is recorded even if the vendor has hung up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err == nil && w.status >= 200 && w.status < 300 {
		h.storeResult(dd.store.Complete(ctx, key, token, time.Duration(dd.TTL)))
	} else {
		h.storeResult(dd.store.Release(ctx, key, token))
	}
	return err
}

// claim takes the event, waiting a bounded time while another request
// holds it: the copy then learns the outcome instead of being refused.
func (h *Handler) claim(ctx context.Context, key, token string) (claim, error) {
	dd := h.Dedupe
	deadline := time.Now().Add(time.Duration(dd.Wait))
	pause := 10 * time.Millisecond
	for {
		state, err := dd.store.Claim(ctx, key, token, time.Duration(dd.Lease))
		h.storeResult(err)
		if err != nil || state != inFlight || time.Now().Add(pause).After(deadline) {
			return state, err
		}
		select {
		case <-ctx.Done():
			return state, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

var (
	rejInFlight = &vendors.Rejection{Status: http.StatusServiceUnavailable, Code: "in_flight",
		Err: errors.New("the same event is being forwarded by another request")}
	rejStoreDown = &vendors.Rejection{Status: http.StatusServiceUnavailable, Code: "dedupe_unavailable",
		Err: errors.New("the dedupe store cannot be reached")}
	rejStoreFull = &vendors.Rejection{Status: http.StatusServiceUnavailable, Code: "dedupe_store_full",
		Err: errors.New("the dedupe store is full of events it must still remember")}
)

// refuseFull answers 503 when the memory store has no room: forgetting a
// remembered event, or one being forwarded, to make room would let a copy
// of it through. The vendor retries; entries expire meanwhile. Whatever
// on_store_error says: a full store is not an outage.
func (h *Handler) refuseFull(w *answerWriter, r *http.Request) error {
	dd := h.Dedupe
	if dd.full.CompareAndSwap(false, true) {
		dd.logger.Warn("dedupe store full: new events are answered 503 until remembered ones expire; raise max_entries",
			zap.String("vendor", h.vendorName), zap.String("route", dd.identity), zap.Int("max_entries", dd.MaxEntries))
	}
	return h.refuse(w, r, rejStoreFull)
}

// storeFailed answers when the store cannot be reached: 503, which every
// vendor retries, or, with on_store_error forward, the delivery goes on.
func (h *Handler) storeFailed(w *answerWriter, r *http.Request, next caddyhttp.Handler, err error) error {
	if h.Dedupe.OnStoreError == "forward" {
		return next.ServeHTTP(w, r)
	}
	return h.refuse(w, r, rejStoreDown)
}

// storeResult logs a store outage once when it starts and once when it ends.
func (h *Handler) storeResult(err error) {
	dd := h.Dedupe
	if err != nil {
		h.metrics.storeErrors.Inc()
		if dd.down.CompareAndSwap(false, true) {
			dd.logger.Error("dedupe store unavailable", zap.String("vendor", h.vendorName),
				zap.String("store", dd.storeName), zap.Error(err))
		}
		return
	}
	if dd.down.CompareAndSwap(true, false) {
		dd.logger.Info("dedupe store available again", zap.String("vendor", h.vendorName), zap.String("store", dd.storeName))
	}
}

// answerDuplicate tells the vendor the event was received, as it expects
// for a success, and forwards nothing.
func (h *Handler) answerDuplicate(w *answerWriter, r *http.Request, id string) error {
	h.metrics.duplicate.Inc()
	if ce := h.logger.Check(zap.InfoLevel, "duplicate delivery"); ce != nil {
		ce.Write(zap.String("vendor", h.vendorName), zap.String("event_id", id),
			zap.String("remote_addr", r.RemoteAddr), zap.String("request_id", requestID(r)))
	}
	w.Header().Set("Biohook-Duplicate", "true")
	answer := vendors.Answer{Status: http.StatusOK, ContentType: "application/json", Body: []byte(`{"duplicate":true}`)}
	if h.acker != nil {
		if a, replace := h.acker.Acknowledge(http.StatusOK, http.Header{}); replace {
			answer = a
		}
	}
	w.replied = true
	writeAnswer(w.ResponseWriter, answer)
	return nil
}

// retryAfter is the Retry-After of a 503: long enough for an in-flight
// delivery to finish.
var retryAfter = strconv.Itoa(1)

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
