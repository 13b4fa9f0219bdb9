package dedupe

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/internal/redisconn"
)

// redisPool shares one client, and so one connection pool, between every
// route and every config that names the same Redis; the client closes when
// the last of them is cleaned up. (A durable spool on the same Redis has a
// client of its own: its loop's outages are not a route's.)
var redisPool = caddy.NewUsagePool()

// redisStore is the dedupe store of a cluster. Each operation is one Lua
// script, so a claim is one round trip and atomic across instances.
type redisStore struct {
	client  *redis.Client
	checked atomic.Bool // its persistence was checked (WarnPersistence)
}

// Destruct implements caddy.Destructor: the last user closes the client.
func (s *redisStore) Destruct() error { return s.client.Close() }

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

// Claim implements Store.
func (s *redisStore) Claim(ctx context.Context, key, token string, lease time.Duration) (State, error) {
	n, err := claimScript.Run(ctx, s.client, []string{key}, token, lease.Milliseconds()).Int()
	if err != nil {
		return 0, err
	}
	return State(n), nil
}

// Complete implements Store.
func (s *redisStore) Complete(ctx context.Context, key, token string, ttl time.Duration) error {
	return completeScript.Run(ctx, s.client, []string{key}, token, ttl.Milliseconds()).Err()
}

// Release implements Store.
func (s *redisStore) Release(ctx context.Context, key, token string) error {
	return releaseScript.Run(ctx, s.client, []string{key}, token).Err()
}

// WarnPersistence checks, once per store and in the background, that a
// dedupe Redis keeps what it is told: without persistence a Redis restart
// forgets which events were forwarded, and retries and replays within ttl
// reach the app again. It does nothing for a memory store; logger is the
// caller's, which checks when its config starts.
func (c *Config) WarnPersistence(logger *zap.Logger) {
	store, ok := c.store.(*redisStore)
	if !ok || !store.checked.CompareAndSwap(false, true) {
		return
	}
	vendor, addr := c.vendor, store.client.Options().Addr
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		persistence, err := redisconn.ReadPersistence(ctx, store.client)
		switch {
		case err != nil:
			logger.Warn("dedupe redis: could not check that Redis keeps its data on disk (CONFIG GET failed); "+
				"without appendonly or save, a Redis restart forgets which events were forwarded and they are forwarded again",
				zap.String("vendor", vendor), zap.String("redis", addr), zap.Error(err))
		case !persistence.AOF && persistence.Save == "":
			logger.Warn("dedupe redis keeps nothing on disk (appendonly no, no save): a Redis restart forgets which events "+
				"were forwarded, and retries and replays within ttl reach the app again; set appendonly yes",
				zap.String("vendor", vendor), zap.String("redis", addr))
		case !persistence.AOF:
			logger.Warn("dedupe redis keeps only snapshots (save "+persistence.Save+"): a Redis restart forgets the events "+
				"forwarded since the last one; set appendonly yes",
				zap.String("vendor", vendor), zap.String("redis", addr))
		}
	}()
}

// Interface guards
var (
	_ Store            = (*redisStore)(nil)
	_ caddy.Destructor = (*redisStore)(nil)
)
