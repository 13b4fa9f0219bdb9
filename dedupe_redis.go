package biohook

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
)

// RedisStore says how to reach the Redis that instances of a cluster share.
type RedisStore struct {
	// A redis:// or rediss:// URL. Alternative to the fields below.
	URL string `json:"url,omitempty"`

	// host:port. Default 127.0.0.1:6379.
	Address string `json:"address,omitempty"`

	// The password (ACL user with Username). Placeholders such as {env.X}
	// are resolved when the config loads.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`

	// The database number.
	DB int `json:"db,omitempty"`

	// Use TLS.
	TLS bool `json:"tls,omitempty"`
}

func init() {
	// The client's own log lines repeat on every failed dial; the handler
	// logs an outage once, when it starts and when it ends.
	redis.SetLogger(quietRedisLog{})
}

type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

// redisPool shares one client, and so one connection pool, between every
// route and every config that names the same Redis; the client closes when
// the last of them is cleaned up.
var redisPool = caddy.NewUsagePool()

// redisStore is the dedupe store of a cluster. Each operation is one Lua
// script, so a claim is one round trip and atomic across instances.
type redisStore struct {
	client  *redis.Client
	checked atomic.Bool // its persistence was checked (redis_persistence.go)
}

// Destruct implements caddy.Destructor: the last user closes the client.
func (s *redisStore) Destruct() error { return s.client.Close() }

// options resolves the settings into go-redis options and a pool key that
// tells two settings apart without holding the password in clear.
func (c *RedisStore) options() (*redis.Options, string, error) {
	repl := caddy.NewReplacer()
	resolve := func(s string) (string, error) { return repl.ReplaceOrErr(s, true, false) }
	var opts *redis.Options
	if c.URL != "" {
		u, err := resolve(c.URL)
		if err != nil {
			return nil, "", err
		}
		if opts, err = redis.ParseURL(u); err != nil {
			return nil, "", errRedisURL
		}
	} else {
		opts = &redis.Options{Addr: c.Address, DB: c.DB}
		if opts.Addr == "" {
			opts.Addr = "127.0.0.1:6379"
		}
		var err error
		if opts.Username, err = resolve(c.Username); err != nil {
			return nil, "", err
		}
		if opts.Password, err = resolve(c.Password); err != nil {
			return nil, "", err
		}
		if c.TLS {
			opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	secret := sha256.Sum256([]byte(opts.Username + "\x00" + opts.Password))
	key := fmt.Sprintf("redis|%s|%d|%t|%s", opts.Addr, opts.DB, opts.TLSConfig != nil, hex.EncodeToString(secret[:8]))
	return opts, key, nil
}

// errRedisURL says a Redis URL does not parse, without a word of the URL
// or of the parser's error: both can hold the password (a password with a
// '/' in it ends the host early, and the parser quotes what follows).
var errRedisURL = errors.New("redis url does not parse (not shown: it may hold a password): " +
	"want redis[s]://[user[:password]@]host[:port][/db][?option=value] or unix:///path, " +
	"with any '@', ':', '/', '?' or '#' in the user or password percent-encoded")

// claimScript: an absent key is taken, in flight, for the lease; "done"
// means seen; anything else is another holder's token.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
	redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
	return 0
end
if v == 'done' then return 2 end
return 1`)

// completeScript marks the key seen, if the caller still holds it.
var completeScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
end
return 0`)

// releaseScript deletes the key, if the caller still holds it: compare and
// delete, so a holder whose lease ran out cannot release another's claim.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	redis.call('DEL', KEYS[1])
end
return 0`)

// Claim implements dedupeStore.
func (s *redisStore) Claim(ctx context.Context, key, token string, lease time.Duration) (claim, error) {
	n, err := claimScript.Run(ctx, s.client, []string{key}, token, lease.Milliseconds()).Int()
	if err != nil {
		return 0, err
	}
	return claim(n), nil
}

// Complete implements dedupeStore.
func (s *redisStore) Complete(ctx context.Context, key, token string, ttl time.Duration) error {
	return completeScript.Run(ctx, s.client, []string{key}, token, ttl.Milliseconds()).Err()
}

// Release implements dedupeStore.
func (s *redisStore) Release(ctx context.Context, key, token string) error {
	return releaseScript.Run(ctx, s.client, []string{key}, token).Err()
}

// Interface guards
var (
	_ dedupeStore      = (*redisStore)(nil)
	_ caddy.Destructor = (*redisStore)(nil)
)

// redisClient fails fast on an outage: the vendor gets a 503 it retries
// rather than waiting past its own timeout. One retry lets a pooled
// connection that died with a restarted Redis be replaced at once.
func redisClient(opts *redis.Options) *redis.Client {
	opts.DialTimeout = 500 * time.Millisecond
	opts.ReadTimeout = 500 * time.Millisecond
	opts.WriteTimeout = 500 * time.Millisecond
	opts.MaxRetries = 1
	return redis.NewClient(opts)
}
