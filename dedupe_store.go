package biohook

import (
	"context"
	"time"
)

// claim is what a store says of an event key.
type claim int

const (
	claimed  claim = iota // new: the caller holds it and forwards the event
	inFlight              // another request holds it and is forwarding the event
	seen                  // forwarded and accepted within the ttl
	full                  // new, but the store has no room for it (memory only)
)

// dedupeStore remembers which events were forwarded. Every operation is
// atomic across the instances that share the store.
type dedupeStore interface {
	// Claim takes key for lease, under token, unless it is held or seen, or
	// the store is full.
	Claim(ctx context.Context, key, token string, lease time.Duration) (claim, error)

	// Complete marks key seen for ttl, if token still holds it.
	Complete(ctx context.Context, key, token string, ttl time.Duration) error

	// Release gives key back, if token still holds it, so a retry of the
	// event goes through.
	Release(ctx context.Context, key, token string) error
}
