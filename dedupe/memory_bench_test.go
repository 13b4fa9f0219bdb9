package dedupe

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// BenchmarkMemoryStore measures the memory store at its size in service:
// the default bound, tens of thousands of entries remembered, entries
// expiring as new ones arrive (a clock that moves 1 ms per event, a ttl of
// one minute: about 60,000 live entries).
//
//	go test -run '^$' -bench MemoryStore -benchmem .
func BenchmarkMemoryStore(b *testing.B) {
	ctx := context.Background()
	setup := func() (*memoryStore, func()) {
		m := newMemoryStore(DefaultMaxEntries)
		now := time.Unix(1000, 0)
		m.now = func() time.Time { return now }
		return m, func() { now = now.Add(time.Millisecond) }
	}
	keys := make([]string, 1<<17)
	for i := range keys {
		keys[i] = eventKeyForBench(i)
	}
	b.Run("new-event", func(b *testing.B) { // claim, then complete
		m, tick := setup()
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			key := keys[i%len(keys)]
			i++
			tick()
			m.Claim(ctx, key, "tok", 30*time.Second)
			m.Complete(ctx, key, "tok", time.Minute)
		}
	})
	b.Run("duplicate", func(b *testing.B) { // a copy of a remembered event
		m, tick := setup()
		for i := 0; i < 50000; i++ {
			tick()
			m.Claim(ctx, keys[i], "tok", 30*time.Second)
			m.Complete(ctx, keys[i], "tok", time.Hour)
		}
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			m.Claim(ctx, keys[i%50000], "x", 30*time.Second)
			i++
		}
	})
	b.Run("failed-forward", func(b *testing.B) { // claim, then release
		m, tick := setup()
		for i := 0; i < 50000; i++ {
			tick()
			m.Claim(ctx, keys[i], "tok", 30*time.Second)
			m.Complete(ctx, keys[i], "tok", time.Hour)
		}
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			key := keys[50000+i%(len(keys)-50000)]
			i++
			m.Claim(ctx, key, "tok", 30*time.Second)
			m.Release(ctx, key, "tok")
		}
	})
}

// eventKeyForBench is a store key as the handler makes them: 32 hex digits.
func eventKeyForBench(i int) string {
	s := strconv.FormatInt(int64(i), 16)
	for len(s) < 32 {
		s = "0" + s
	}
	return s
}
