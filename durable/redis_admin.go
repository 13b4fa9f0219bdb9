package durable

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// The Redis spool's counts, dead letters and forgetting.

// routeCounts reads how many events of a route wait and when the oldest
// came.
func (s *redisSpool) routeCounts(ctx context.Context, name string) (pending int64, oldest time.Time, err error) {
	due, lease, enq := s.routeKeys(name)
	pipe := s.client.Pipeline()
	nDue, nLease := pipe.ZCard(ctx, due), pipe.ZCard(ctx, lease)
	first := pipe.ZRangeWithScores(ctx, enq, 0, 0)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return 0, time.Time{}, err
	}
	if zs := first.Val(); len(zs) > 0 {
		oldest = time.UnixMilli(int64(zs[0].Score))
	}
	return nDue.Val() + nLease.Val(), oldest, nil
}

// setGauges publishes what waits, per vendor, for the whole cluster: every
// instance shows the same figures.
func (s *redisSpool) setGauges() {
	ctx, cancel := context.WithTimeout(s.ctx, time.Second)
	defer cancel()
	now := time.Now()
	type sum struct {
		count  int64
		oldest time.Time
	}
	byVendor := map[string]*sum{}
	for _, name := range s.routeNames() {
		n, oldest, err := s.routeCounts(ctx, name)
		if err != nil {
			return
		}
		vendor := routeVendor(name)
		v := byVendor[vendor]
		if v == nil {
			v = &sum{oldest: now}
			byVendor[vendor] = v
		}
		v.count += n
		if !oldest.IsZero() && oldest.Before(v.oldest) {
			v.oldest = oldest
		}
	}
	for vendor, v := range byVendor {
		durablePending.WithLabelValues(vendor).Set(float64(v.count))
		durableOldest.WithLabelValues(vendor).Set(now.Sub(v.oldest).Seconds())
	}
}

func (s *redisSpool) routeNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.routes))
	for name := range s.routes {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func (s *redisSpool) stats(now time.Time) []routeStats {
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
	defer cancel()
	var out []routeStats
	for _, name := range s.routeNames() {
		n, oldest, _ := s.routeCounts(ctx, name)
		s.mu.Lock()
		rs := s.routes[name]
		st := routeStats{Route: name, Vendor: rs.vendor, Active: rs.route != nil, InFlight: rs.inFlight, Pending: int(n)}
		s.mu.Unlock()
		if !oldest.IsZero() {
			st.OldestSeconds = now.Sub(oldest).Seconds()
		}
		out = append(out, st)
	}
	return out
}

// deadLetters lists the spool's dead letters, oldest first, without bodies.
func (s *redisSpool) deadLetters() ([]*record, error) {
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	keys, err := s.client.ZRange(ctx, s.key("dead"), 0, -1).Result()
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	recs, err := s.load(ctx, keys)
	for _, rec := range recs {
		rec.Body = nil
	}
	return recs, err
}

var redisRevive = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= 'x' then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], 'p')
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
if ARGV[4] ~= '' then
	redis.call('HSET', KEYS[6], ARGV[1], ARGV[4])
	redis.call('ZADD', KEYS[8], redis.call('INCR', KEYS[7]), ARGV[1])
end
return 1`)

// replay queues again the dead letters that pick chooses, as new events.
func (s *redisSpool) replay(pick func(*record) bool, route string) (int, error) {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	keys, err := s.client.ZRange(ctx, s.key("dead"), 0, -1).Result()
	if err != nil {
		return 0, err
	}
	recs, err := s.load(ctx, keys)
	if err != nil {
		return 0, err
	}
	var target *Route
	if route != "" {
		target = s.runningRoute(route)
	}
	now, replayed := time.Now(), 0
	for _, rec := range recs {
		if !pick(rec) {
			continue
		}
		if route != "" && target == nil {
			return replayed, errRouteNotRunning
		}
		if target != nil && !target.moveLogged(rec, false, s.logger) {
			continue
		}
		rec.revive(now)
		value, err := rec.encode()
		if err != nil {
			return replayed, err
		}
		due, _, enq := s.routeKeys(rec.Route)
		orders, seq, queue := s.orderKeys(rec.Route, rec.Order)
		n, err := redisRevive.Run(ctx, s.client,
			[]string{s.key("id:", rec.Key), s.key("ev:", rec.Key), s.key("dead"), due, enq, orders, seq, queue},
			rec.Key, value, ms(now), rec.Order).Int()
		if err != nil {
			return replayed, err
		}
		replayed += n
	}
	s.signal()
	return replayed, nil
}

var redisForgetDead = redis.NewScript(`
local at = redis.call('ZSCORE', KEYS[3], ARGV[1])
if not at or tonumber(at) > tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[1], KEYS[2])
return 1`)

// forget drops dead letters past the longest keep_dead of the active
// routes. Delivered events are forgotten by Redis itself (their state
// expires after remember).
func (s *redisSpool) forget() {
	var keep time.Duration
	s.mu.Lock()
	for _, rs := range s.routes {
		if rs.route != nil {
			keep = max(keep, time.Duration(rs.route.cfg.KeepDead))
		}
	}
	s.mu.Unlock()
	if keep == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	cutoff := ms(time.Now().Add(-keep))
	old, err := s.client.ZRangeByScore(ctx, s.key("dead"), &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(cutoff, 10)}).Result()
	if err != nil {
		s.outage(err)
		return
	}
	for _, k := range old {
		if err := redisForgetDead.Run(ctx, s.client, []string{s.key("id:", k), s.key("ev:", k), s.key("dead")}, k, cutoff).Err(); err != nil {
			s.logger.Warn("forgetting a dead letter", zap.Error(err))
			return
		}
	}
}
