package durable

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// run is the Redis spool's delivery loop: it takes due events for each
// route with free slots, and looks again when an attempt ends, when woken,
// or every redisPoll.
func (s *redisSpool) run() {
	defer s.wg.Done()
	timer := time.NewTimer(redisPoll)
	defer timer.Stop()
	forget := time.NewTicker(forgetEvery)
	defer forget.Stop()
	gauges := time.NewTicker(gaugeEvery)
	defer gauges.Stop()
	for {
		s.dispatch()
		timer.Reset(redisPoll)
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		case <-gauges.C:
			s.setGauges()
		case <-forget.C:
			s.forget()
		}
	}
}

// redisClaim moves expired leases back to due, then leases until ARGV[3] up
// to ARGV[2] due events, oldest due first, looking at most at ARGV[5], and
// records this instance (ARGV[6]) as their holder. An event with an order
// key is taken only at the head of its key's queue: while an older event of
// the key waits, backs off or is in flight, it waits too. It returns the
// keys taken.
var redisClaim = redis.NewScript(`
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, m in ipairs(expired) do
	redis.call('ZREM', KEYS[2], m)
	redis.call('HDEL', KEYS[4], m)
	redis.call('ZADD', KEYS[1], ARGV[1], m)
end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[5])
local taken = {}
for _, m in ipairs(due) do
	if #taken >= tonumber(ARGV[2]) then break end
	local order = redis.call('HGET', KEYS[3], m)
	if not order or redis.call('ZRANGE', ARGV[4] .. order, 0, 0)[1] == m then
		redis.call('ZREM', KEYS[1], m)
		redis.call('ZADD', KEYS[2], ARGV[3], m)
		redis.call('HSET', KEYS[4], m, ARGV[6])
		table.insert(taken, m)
	end
end
return taken`)

// redisClaimScan bounds how many due events one claim looks at, past those
// held back by their order key.
const redisClaimScan = 1000

// dispatch starts an attempt for each due event the active routes have room
// for.
func (s *redisSpool) dispatch() {
	s.mu.Lock()
	type work struct {
		name string
		rs   *routeState
		free int
	}
	var routes []work
	for name, rs := range s.routes {
		if rs.ready() && rs.inFlight < rs.route.cfg.Concurrency {
			routes = append(routes, work{name, rs, rs.route.cfg.Concurrency - rs.inFlight})
		}
	}
	s.mu.Unlock()
	for _, w := range routes {
		s.claim(w.name, w.rs, w.free)
	}
}

func (s *redisSpool) claim(name string, rs *routeState, free int) {
	s.mu.Lock()
	rt := rs.route
	s.mu.Unlock()
	if rt == nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
	defer cancel()
	now := time.Now()
	due, lease, _ := s.routeKeys(name)
	leaseUntil := now.Add(time.Duration(rt.cfg.AttemptTimeout) + redisLeaseSlack)
	orders, _, _ := s.orderKeys(name, "")
	keys, err := redisClaim.Run(ctx, s.client, []string{due, lease, orders, s.holders(name)},
		ms(now), free, ms(leaseUntil), s.orderQueues(name), redisClaimScan, s.owner).StringSlice()
	s.outage(err)
	if err != nil || len(keys) == 0 {
		return
	}
	recs, err := s.load(ctx, keys)
	if err != nil {
		s.outage(err) // the leases run out and the events come back
		return
	}
	s.dropUnreadable(ctx, name, keys, recs)
	for _, rec := range recs {
		// Taken from the route's queue: that, not what the record says, is
		// its route, and the MAC must say so too.
		rec.Route = name
	}
	s.mu.Lock()
	rs.inFlight += len(recs)
	s.mu.Unlock()
	for _, rec := range recs {
		s.wg.Add(1)
		go s.attempt(name, rs, rt, rec)
	}
}

// load reads records with their bodies, leaving out keys whose record is
// gone or unreadable. A record's key is the one it is stored under, whatever
// it says: the MAC must say so too.
func (s *redisSpool) load(ctx context.Context, keys []string) ([]*record, error) {
	evKeys := make([]string, len(keys))
	for i, k := range keys {
		evKeys[i] = s.key("ev:", k)
	}
	values, err := s.client.MGet(ctx, evKeys...).Result()
	if err != nil {
		return nil, err
	}
	recs := make([]*record, 0, len(values))
	for i, v := range values {
		str, ok := v.(string)
		if !ok {
			s.logger.Error("spooled event without its record", zap.String("key", keys[i]))
			continue
		}
		rec, err := decodeRecord(0, []byte(str), true)
		if err != nil {
			s.logger.Error("spooled event unreadable", zap.String("key", keys[i]), zap.Error(err))
			continue
		}
		rec.Key = keys[i]
		recs = append(recs, rec)
	}
	return recs, nil
}

func (s *redisSpool) attempt(name string, rs *routeState, rt *Route, rec *record) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		rs.inFlight--
		s.mu.Unlock()
		s.signal()
	}()
	if !rt.authentic(rec, false) {
		s.refuse(name, rec, rt)
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, time.Duration(rt.cfg.AttemptTimeout))
	res := rt.redeliver(ctx, rec, rec.Attempts+1)
	cancel()
	if s.ctx.Err() != nil {
		s.handBack(name, rec) // closing: another instance, or the next start, takes it
		return
	}
	now := time.Now()
	v := decide(rt.cfg, rec, res, now)
	if err := s.record(name, rec, v, rt, now); err != nil {
		s.logger.Error("recording a delivery attempt", zap.Error(err))
	}
	rt.noteOutcome(rec, v)
	s.mu.Lock()
	wake := v == delivered && rs.failing
	rs.failing = v != delivered
	s.mu.Unlock()
	if wake {
		s.wakeRoute(name)
	}
}

// The outcome scripts change an event only while this instance (the last
// ARGV) still holds its lease: one whose lease ran out and went to another
// instance leaves the event to that instance.
var (
	redisDelivered = redis.NewScript(`
if redis.call('HGET', KEYS[8], ARGV[1]) ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[8], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], 'd', 'PX', ARGV[2])
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
return 1`)
	redisReschedule = redis.NewScript(`
if redis.call('HGET', KEYS[5], ARGV[1]) ~= ARGV[4] then return 0 end
redis.call('HDEL', KEYS[5], ARGV[1])
if redis.call('GET', KEYS[1]) ~= 'p' then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
return 1`)
	redisDead = redis.NewScript(`
if redis.call('HGET', KEYS[9], ARGV[1]) ~= ARGV[4] then return 0 end
redis.call('HDEL', KEYS[9], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], 'x')
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
redis.call('HDEL', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
redis.call('ZREM', KEYS[8], ARGV[1])
return 1`)
)

// record writes an attempt's outcome.
func (s *redisSpool) record(name string, rec *record, v verdict, rt *Route, now time.Time) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 2*time.Second)
	defer cancel()
	due, lease, enq := s.routeKeys(name)
	orders, _, queue := s.orderKeys(name, rec.Order)
	id, ev, holders := s.key("id:", rec.Key), s.key("ev:", rec.Key), s.holders(name)
	if v == delivered {
		return redisDelivered.Run(ctx, s.client, []string{id, ev, lease, enq, orders, queue, due, holders}, rec.Key,
			time.Duration(rt.cfg.Remember).Milliseconds(), s.owner).Err()
	}
	value, err := rec.encode()
	if err != nil {
		return err
	}
	if v == retryLater {
		return redisReschedule.Run(ctx, s.client, []string{id, ev, lease, due, holders},
			rec.Key, value, ms(rec.NextAt), s.owner).Err()
	}
	return redisDead.Run(ctx, s.client, []string{id, ev, lease, enq, s.key("dead"), orders, queue, due, holders},
		rec.Key, value, ms(rec.DeadAt), s.owner).Err()
}

// refuse dead-letters a record whose MAC does not verify: forged, moved
// from another route or key, or written before records were signed. It is
// never delivered, and nothing it says is used: its order queue is the one
// Redis's own index names.
func (s *redisSpool) refuse(name string, rec *record, rt *Route) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 2*time.Second)
	defer cancel()
	orders, _, _ := s.orderKeys(name, "")
	order, err := s.client.HGet(ctx, orders, rec.Key).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		s.outage(err) // the lease runs out and the record comes back
		return
	}
	now := time.Now()
	rec.Order, rec.DeadAt, rec.Reason = order, now, reasonUnauthenticated
	if err := s.record(name, rec, deadLettered, rt, now); err != nil {
		s.logger.Error("dead-lettering an unauthenticated record", zap.Error(err))
		return
	}
	rt.noteUnauthenticated(rec)
}

// handBack returns a lease unused: the event is due again at once.
func (s *redisSpool) handBack(name string, rec *record) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	due, lease, _ := s.routeKeys(name)
	value, err := rec.encode()
	if err == nil {
		err = redisReschedule.Run(ctx, s.client, []string{s.key("id:", rec.Key), s.key("ev:", rec.Key), lease, due, s.holders(name)},
			rec.Key, value, ms(time.Now()), s.owner).Err()
	}
	if err != nil {
		s.logger.Warn("handing back a lease; the event comes back when it runs out", zap.Error(err))
	}
}

var redisWake = redis.NewScript(`
local later = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
for _, m in ipairs(later) do redis.call('ZADD', KEYS[1], ARGV[1], m) end
return #later`)

// wakeRoute makes every waiting event of the route due now: the app is
// back.
func (s *redisSpool) wakeRoute(name string) {
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
	defer cancel()
	due, _, _ := s.routeKeys(name)
	s.outage(redisWake.Run(ctx, s.client, []string{due}, ms(time.Now())).Err())
	s.signal()
}

// outage logs a Redis failure of the loop once when it starts and once
// when it ends; meanwhile the leases keep the events safe.
func (s *redisSpool) outage(err error) {
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, redis.Nil)) {
		return
	}
	if err != nil {
		if s.down.CompareAndSwap(false, true) {
			s.logger.Error("spool redis unavailable", zap.String("redis", s.addr), zap.Error(err))
		}
		return
	}
	if s.down.CompareAndSwap(true, false) {
		s.logger.Info("spool redis available again", zap.String("redis", s.addr))
	}
}

// dropUnreadable takes out of the lease the keys load could not read, so
// that they do not come back with every lease that runs out; the records,
// if any, stay for inspection.
func (s *redisSpool) dropUnreadable(ctx context.Context, name string, keys []string, recs []*record) {
	if len(recs) == len(keys) {
		return
	}
	read := make(map[string]bool, len(recs))
	for _, rec := range recs {
		read[rec.Key] = true
	}
	_, lease, _ := s.routeKeys(name)
	for _, k := range keys {
		if !read[k] {
			s.outage(s.client.ZRem(ctx, lease, k).Err())
			s.outage(s.client.HDel(ctx, s.holders(name), k).Err())
		}
	}
}
