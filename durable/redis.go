package durable

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/internal/redisconn"
)

// redisSpool keeps events in Redis, so that several Caddy instances share
// them: any instance takes a delivery, and the work of an instance that dies
// goes to the others when its leases run out.
//
// Each route has three sorted sets of event keys: due (scored by the next
// attempt's time), lease (taken by an instance, scored by when the lease
// runs out) and enq (scored by arrival, for the oldest-pending gauge); with
// per-key order, a queue per order key (scored by a counter of arrivals),
// whose head alone may be taken. An
// event's record is one string; its state (p, d, x) another; dead letters
// are one sorted set for the spool. Every change is one Lua script, so it is
// atomic across instances. A sorted set, not a stream, because retries are
// delayed: the score is the time an event is next due.
type redisSpool struct {
	client *redis.Client
	prefix string
	addr   string
	aof    bool // the server appends to a file: WAITAOF before answering a vendor
	logger *zap.Logger
	down   atomic.Bool // the loop cannot reach Redis; logged once per outage
	owner  string      // this instance's name on the leases it takes

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	routeTable
	gaugeVendors map[string]struct{}
}

// Timings of the Redis spool.
const (
	redisPoll       = 200 * time.Millisecond // how often due events are looked for with nothing else to wake the loop
	redisLeaseSlack = 5 * time.Second        // a lease outlives its attempt's timeout by this much: reading and recording take up to 2 s each
	redisWaitAOF    = time.Second            // how long a write may wait to be on disk
)

func openRedisSpool(opts *redis.Options, prefix string, logger *zap.Logger) (*redisSpool, error) {
	client := redisconn.NewClient(opts)
	ctx, cancel := context.WithCancel(context.Background())
	s := &redisSpool{client: client, prefix: prefix, addr: opts.Addr, logger: logger, ctx: ctx, cancel: cancel, owner: redisconn.Token(),
		routeTable: newRouteTable(), gaugeVendors: make(map[string]struct{})}
	check, done := context.WithTimeout(ctx, 2*time.Second)
	defer done()
	if err := client.Ping(check).Err(); err != nil {
		cancel()
		client.Close()
		return nil, errors.New("spool redis at " + opts.Addr + " cannot be reached: " + err.Error())
	}
	s.aof = s.persistence(check, opts.Addr)
	s.wg.Add(1)
	go s.run()
	return s, nil
}

// persistence says whether enqueue must wait for WAITAOF: only when the
// server keeps an append-only file that it does not fsync before every
// reply. With appendfsync always, Redis's answer already means on disk.
func (s *redisSpool) persistence(ctx context.Context, addr string) bool {
	p, err := redisconn.ReadPersistence(ctx, s.client)
	switch {
	case err != nil:
		s.logger.Warn("spool redis: could not check that Redis keeps events on disk (CONFIG GET failed); "+
			"without an append-only file a stored event is in Redis's memory when the vendor is answered, and a Redis restart loses it",
			zap.String("redis", addr), zap.Error(err))
		return false
	case !p.AOF:
		s.logger.Warn("spool redis: no append-only file ("+p.Describe()+"): a stored event is in Redis's memory, not on its disk, "+
			"when the vendor is answered, and a Redis restart loses it; set appendonly yes and appendfsync always",
			zap.String("redis", addr))
		return false
	case p.Fsync == "always":
		return false
	}
	if err := s.client.WaitAOF(ctx, 0, 0, time.Millisecond).Err(); err != nil {
		s.logger.Warn("spool redis: append-only file with appendfsync "+p.Fsync+" and no WAITAOF (Redis before 7.2): a stored event may reach Redis's disk up to a second after the vendor is answered; set appendfsync always",
			zap.String("redis", addr))
		return false
	}
	return true
}

// Destruct stops delivering, hands back the leases of attempts cut short,
// and closes the client.
func (s *redisSpool) Destruct() error {
	s.cancel()
	s.wg.Wait()
	return s.client.Close()
}

func (s *redisSpool) where() string { return "redis://" + s.addr + "/" + s.prefix }

func (s *redisSpool) key(parts ...string) string {
	k := s.prefix
	for _, p := range parts {
		k += p
	}
	return k
}

func (s *redisSpool) routeKeys(route string) (due, lease, enq string) {
	return s.key("due:", route), s.key("lease:", route), s.key("enq:", route)
}

// orderKeys are a route's per-key order: a hash of event key to order key,
// the route's arrival counter, and the queue of the order key's events by
// arrival (the queues share the prefix orderQueues returns).
func (s *redisSpool) orderKeys(route, order string) (orders, seq, queue string) {
	return s.key("order:", route), s.key("seq:", route), s.orderQueues(route) + order
}

func (s *redisSpool) orderQueues(route string) string { return s.key("orderq:", route, ":") }

// holders is a route's hash of leased event keys to the instance holding
// each lease.
func (s *redisSpool) holders(route string) string { return s.key("holder:", route) }

func ms(t time.Time) int64 { return t.UnixMilli() }

var errNotOnDisk = errors.New("redis did not write the event to its append-only file in time")

var redisEnqueue = redis.NewScript(`
if not redis.call('SET', KEYS[1], 'p', 'NX') then return 1 end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
if ARGV[5] ~= '' then
	redis.call('HSET', KEYS[5], ARGV[3], ARGV[5])
	redis.call('ZADD', KEYS[7], redis.call('INCR', KEYS[6]), ARGV[3])
end
return 0`)

// enqueue stores rec; with the append-only file on, it returns once Redis
// has the write on disk.
func (s *redisSpool) enqueue(rec *record) (bool, error) {
	value, err := rec.encode()
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(s.ctx, redisWaitAOF+time.Second)
	defer cancel()
	due, _, enq := s.routeKeys(rec.Route)
	orders, seq, queue := s.orderKeys(rec.Route, rec.Order)
	n, err := redisEnqueue.Run(ctx, s.client,
		[]string{s.key("id:", rec.Key), s.key("ev:", rec.Key), due, enq, orders, seq, queue},
		value, ms(rec.NextAt), rec.Key, ms(rec.Enqueued), rec.Order).Int()
	if err != nil || n == 1 {
		return n == 1, err
	}
	if s.aof {
		// WAITAOF answers how many fsyncs it saw; none within the time
		// is not an error to Redis, but it is one here.
		synced, err := s.client.WaitAOF(ctx, 1, 0, redisWaitAOF).Result()
		if err != nil {
			return false, err
		}
		if len(synced) == 0 || synced[0] < 1 {
			return false, errNotOnDisk
		}
	}
	s.signal()
	return false, nil
}
