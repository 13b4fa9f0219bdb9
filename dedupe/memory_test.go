package dedupe

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// fakeClock is a memory store's clock, moved by hand.
func fakeClock(m *memoryStore) *time.Time {
	now := time.Unix(1000, 0)
	m.now = func() time.Time { return now }
	return &now
}

func mustClaim(t *testing.T, m *memoryStore, key, token string, lease time.Duration, want State) {
	t.Helper()
	if got, err := m.Claim(context.Background(), key, token, lease); err != nil || got != want {
		t.Fatalf("claim %s: %v %v, want %v", key, got, err, want)
	}
}

// A full store forgets nothing: live seen entries and live claims stay, and
// a new event is answered full until something expires or is released.
func TestMemoryStoreFullForgetsNothing(t *testing.T) {
	m := newMemoryStore(3)
	now := fakeClock(m)
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		mustClaim(t, m, k, "tok-"+k, time.Minute, Claimed)
		m.Complete(ctx, k, "tok-"+k, time.Hour)
	}
	mustClaim(t, m, "c", "tok-c", time.Minute, Claimed) // in flight
	mustClaim(t, m, "d", "tok-d", time.Minute, Full)
	mustClaim(t, m, "a", "x", time.Minute, Seen) // the oldest is still remembered
	mustClaim(t, m, "c", "x", time.Minute, InFlight)
	if m.len() != 3 {
		t.Fatalf("%d entries, want 3", m.len())
	}
	// A release makes room; a completion does not take more.
	m.Release(ctx, "c", "tok-c")
	mustClaim(t, m, "d", "tok-d", time.Minute, Claimed)
	m.Complete(ctx, "d", "tok-d", time.Hour)
	mustClaim(t, m, "e", "tok-e", time.Minute, Full)
	// Nothing expires within the ttl, however long the pressure lasts.
	for i := 0; i < 100; i++ {
		*now = now.Add(30 * time.Second)
		mustClaim(t, m, fmt.Sprintf("new-%d", i), "t", time.Minute, Full)
	}
	mustClaim(t, m, "a", "x", time.Minute, Seen)
	// Past the ttl, entries leave, oldest first, and make room.
	*now = now.Add(10 * time.Minute)
	mustClaim(t, m, "e", "tok-e", time.Minute, Claimed)
	if m.len() != 1 {
		t.Fatalf("%d entries after every ttl ran out, want 1", m.len())
	}
}

// A claim is held for its lease and no longer: expired claims leave first
// even behind older entries that live longer, so a request that never
// finished does not hold room for ever.
func TestMemoryStoreExpiryOrderAcrossLifetimes(t *testing.T) {
	m := newMemoryStore(2)
	now := fakeClock(m)
	ctx := context.Background()
	mustClaim(t, m, "seen", "t1", time.Minute, Claimed)
	m.Complete(ctx, "seen", "t1", 72*time.Hour)
	mustClaim(t, m, "stuck", "t2", 30*time.Second, Claimed) // never completed nor released
	mustClaim(t, m, "new", "t3", 30*time.Second, Full)
	*now = now.Add(31 * time.Second)
	mustClaim(t, m, "stuck", "t4", 30*time.Second, Claimed) // its lease ran out: a retry takes it
	m.Complete(ctx, "stuck", "t2", time.Hour)               // the old holder's completion is void
	mustClaim(t, m, "stuck", "t5", 30*time.Second, InFlight)
	m.Release(ctx, "stuck", "t4")
	mustClaim(t, m, "new", "t3", 30*time.Second, Claimed)
	mustClaim(t, m, "seen", "x", time.Minute, Seen)
}

// Another holder's token neither completes nor releases a claim.
func TestMemoryStoreTokens(t *testing.T) {
	m := newMemoryStore(10)
	fakeClock(m)
	ctx := context.Background()
	mustClaim(t, m, "a", "mine", time.Minute, Claimed)
	m.Complete(ctx, "a", "theirs", time.Hour)
	mustClaim(t, m, "a", "x", time.Minute, InFlight)
	m.Release(ctx, "a", "theirs")
	mustClaim(t, m, "a", "x", time.Minute, InFlight)
	m.Complete(ctx, "a", "mine", time.Hour)
	mustClaim(t, m, "a", "x", time.Minute, Seen)
	m.Release(ctx, "a", "mine") // a seen event is not released
	mustClaim(t, m, "a", "x", time.Minute, Seen)
}

// A lower bound on reload evicts nothing; a higher one gives room at once.
func TestMemoryStoreSetMaxEntries(t *testing.T) {
	m := newMemoryStore(3)
	fakeClock(m)
	for _, k := range []string{"a", "b", "c"} {
		mustClaim(t, m, k, "t", time.Minute, Claimed)
	}
	m.setMaxEntries(2)
	mustClaim(t, m, "a", "x", time.Minute, InFlight)
	mustClaim(t, m, "d", "t", time.Minute, Full)
	m.setMaxEntries(4)
	mustClaim(t, m, "d", "t", time.Minute, Claimed)
}

// The heap stays a heap through random claims, completions, releases and
// expiries, and the map and heap agree.
func TestMemoryStoreHeapConsistent(t *testing.T) {
	m := newMemoryStore(50)
	now := fakeClock(m)
	ctx := context.Background()
	for i := 0; i < 5000; i++ {
		k := fmt.Sprintf("k%d", (i*7919)%97)
		tok := fmt.Sprintf("t%d", i)
		state, _ := m.Claim(ctx, k, tok, time.Duration(1+i%5)*time.Second)
		if state == Claimed {
			switch i % 3 {
			case 0:
				m.Complete(ctx, k, tok, time.Duration(1+i%11)*time.Second)
			case 1:
				m.Release(ctx, k, tok)
			}
		}
		*now = now.Add(time.Duration(i%4) * 100 * time.Millisecond)
		if len(m.byExpiry) != len(m.entries) || len(m.byExpiry) > 50 {
			t.Fatalf("step %d: heap %d, map %d", i, len(m.byExpiry), len(m.entries))
		}
		for j, e := range m.byExpiry {
			if e.index != j || m.entries[e.key] != e {
				t.Fatalf("step %d: entry %d out of place", i, j)
			}
			if j > 0 && m.byExpiry[(j-1)/2].expires > e.expires {
				t.Fatalf("step %d: heap order broken at %d", i, j)
			}
		}
	}
}
