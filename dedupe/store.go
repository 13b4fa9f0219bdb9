package dedupe

import (
	"context"
	"time"
)

// State is what a store says of an event's key when it is claimed.
type State int

const (
	Claimed  State = iota // new: the caller holds it and forwards the event
	InFlight              // another holder has it and is forwarding the event
	Seen                  // forwarded and accepted within the ttl
	Full                  // new, but the store has no room for it (memory only)
)

// Store remembers which events were forwarded: the memory store of one
// instance, or Redis for a cluster. A key names one event of one route; a
// token names one holder (a request) of a key.
//
// Atomicity: each operation is atomic with respect to every other operation
// on the same key, across every instance that shares the store. Two claims
// of a new key never both answer Claimed.
//
// Expiry: a claim lasts its lease and a completion its ttl, measured by the
// store; when either runs out the key is new again. A store never forgets a
// live key to make room: one that cannot take a new key answers Full, and
// the caller refuses the delivery with a 503 the vendor retries.
//
// Ownership: Complete and Release change a key only while token still
// holds it (compare and set), so a holder whose lease ran out cannot undo
// the claim of the holder that followed it. Neither reports a key it did
// not change: the outcome is the same either way.
//
// Errors: an error means the store could not be reached or did not answer;
// the state is then unknown, and the caller decides (on_store_error). A
// store returns no error for a key it does not know.
//
// Concurrency: every method is safe for concurrent use, and ctx bounds the
// time a call may take.
type Store interface {
	// Claim takes key for lease, under token, unless it is held or seen,
	// or the store is full.
	Claim(ctx context.Context, key, token string, lease time.Duration) (State, error)

	// Complete marks key seen for ttl, if token still holds it.
	Complete(ctx context.Context, key, token string, ttl time.Duration) error

	// Release gives key back, if token still holds it, so that a retry of
	// the event goes through.
	Release(ctx context.Context, key, token string) error
}
