package biohook

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// redisPersistence is how a Redis server keeps its data on disk.
type redisPersistence struct {
	aof   bool   // appendonly yes
	fsync string // appendfsync
	save  string // the snapshot schedule; "" for none
}

// readRedisPersistence asks the server. CONFIG may be renamed or denied by
// an ACL; the error then says so.
func readRedisPersistence(ctx context.Context, c *redis.Client) (redisPersistence, error) {
	conf, err := c.ConfigGet(ctx, "append*").Result()
	if err != nil {
		return redisPersistence{}, err
	}
	save, err := c.ConfigGet(ctx, "save").Result()
	if err != nil {
		return redisPersistence{}, err
	}
	return redisPersistence{aof: conf["appendonly"] == "yes", fsync: conf["appendfsync"], save: save["save"]}, nil
}

// describe says what the server keeps, for a warning.
func (p redisPersistence) describe() string {
	if p.save == "" {
		return "and no snapshots: nothing is on disk"
	}
	return "only snapshots, save " + p.save
}

// warnRedisPersistence checks, once per store and in the background, that
// a dedupe Redis keeps what it is told: without persistence a Redis restart
// forgets which events were forwarded, and retries and replays within ttl
// reach the app again.
func (a *App) warnRedisPersistence() {
	for _, p := range a.placed {
		dd := p.h.Dedupe
		if dd == nil || dd.storeName != "redis" {
			continue
		}
		store, ok := dd.store.(*redisStore)
		if !ok || !store.checked.CompareAndSwap(false, true) {
			continue
		}
		logger, vendor, addr := a.logger, p.h.vendorName, store.client.Options().Addr
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			persistence, err := readRedisPersistence(ctx, store.client)
			switch {
			case err != nil:
				logger.Warn("dedupe redis: could not check that Redis keeps its data on disk (CONFIG GET failed); "+
					"without appendonly or save, a Redis restart forgets which events were forwarded and they are forwarded again",
					zap.String("vendor", vendor), zap.String("redis", addr), zap.Error(err))
			case !persistence.aof && persistence.save == "":
				logger.Warn("dedupe redis keeps nothing on disk (appendonly no, no save): a Redis restart forgets which events "+
					"were forwarded, and retries and replays within ttl reach the app again; set appendonly yes",
					zap.String("vendor", vendor), zap.String("redis", addr))
			case !persistence.aof:
				logger.Warn("dedupe redis keeps only snapshots (save "+persistence.save+"): a Redis restart forgets the events "+
					"forwarded since the last one; set appendonly yes",
					zap.String("vendor", vendor), zap.String("redis", addr))
			}
		}()
	}
}
