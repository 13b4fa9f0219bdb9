package dedupe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/internal/redisconn"
)

// BenchmarkDedupeClaim measures the hot path of a new event: one claim and
// one completion, on each store (two Redis round trips per event), with
// the key made as the handler makes it.
//
//	go test -run '^$' -bench DedupeClaim -benchmem ./dedupe
func BenchmarkDedupeClaim(b *testing.B) {
	ctx := context.Background()
	mem := newMemoryStore(DefaultMaxEntries)
	now := time.Unix(1000, 0)
	mem.now = func() time.Time { now = now.Add(time.Millisecond); return now } // entries expire: no full store
	stores := map[string]Store{"memory": mem}
	if addr := os.Getenv("BIOHOOK_TEST_REDIS"); addr != "" {
		rs := &redisconn.Config{Address: addr}
		opts, _, _ := rs.Options()
		stores["redis"] = &redisStore{client: redisconn.NewClient(opts)}
	}
	for name, s := range stores {
		b.Run(name, func(b *testing.B) {
			identity, prefix := "entrust#0123456789abcdef", ""
			if name == "redis" {
				prefix = "biohook-bench:" + identity + ":"
			}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				key := benchKey(prefix, identity, "urn:biohook:entrust", strconv.Itoa(i))
				if _, err := s.Claim(ctx, key, "tok", time.Minute); err != nil {
					b.Fatal(err)
				}
				if err := s.Complete(ctx, key, "tok", time.Minute); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchKey is a store key as the handler and Claim make it: the store's
// prefix and a digest of the route, the source and the id, built on the
// stack.
func benchKey(prefix, route, source, id string) string {
	var buf [160]byte
	var in [256]byte
	b := append(in[:0], route...)
	b = append(append(b, 0), source...)
	b = append(append(b, 0), id...)
	sum := sha256.Sum256(b)
	return string(hex.AppendEncode(append(buf[:0], prefix...), sum[:16]))
}
