package durable

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/internal/testutil"
)

// An instance whose lease ran out and went to another changes nothing:
// its outcome is the new holder's to record.
func TestRedisLeaseHolder(t *testing.T) {
	prefix := "leasetest" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	s, err := openRedisSpool(&redis.Options{Addr: testutil.RedisAddr(t)}, prefix, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destruct()
	ctx := context.Background()
	rec := sampleRecord()
	if dup, err := s.enqueue(rec); err != nil || dup {
		t.Fatalf("enqueue: %v %v", dup, err)
	}
	route := rec.Route
	due, lease, _ := s.routeKeys(route)
	orders, _, _ := s.orderKeys(route, "")
	claim := func(owner string) []string {
		now := time.Now()
		keys, err := redisClaim.Run(ctx, s.client, []string{due, lease, orders, s.holders(route)},
			ms(now), 1, ms(now.Add(time.Minute)), s.orderQueues(route), redisClaimScan, owner).StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	if keys := claim("instance-a"); len(keys) != 1 || keys[0] != rec.Key {
		t.Fatalf("instance a took %v", keys)
	}
	if keys := claim("instance-b"); len(keys) != 0 {
		t.Fatalf("a leased event was taken again: %v", keys)
	}
	value, _ := rec.encode()
	ids := []string{s.key("id:", rec.Key), s.key("ev:", rec.Key), lease, due, s.holders(route)}
	reschedule := func(owner string) int {
		n, err := redisReschedule.Run(ctx, s.client, ids, rec.Key, value, ms(time.Now()), owner).Int()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if reschedule("instance-b") != 0 {
		t.Fatal("an instance that holds no lease rescheduled the event")
	}
	if holder, _ := s.client.HGet(ctx, s.holders(route), rec.Key).Result(); holder != "instance-a" {
		t.Fatalf("holder %q after another instance's attempt", holder)
	}
	if reschedule("instance-a") != 1 {
		t.Fatal("the holder could not reschedule")
	}
	if n, _ := s.client.ZCard(ctx, lease).Result(); n != 0 {
		t.Errorf("%d leases left after the reschedule", n)
	}
	if keys := claim("instance-b"); len(keys) != 1 {
		t.Errorf("the rescheduled event could not be taken again: %v", keys)
	}
}
