package dedupe

import (
	"context"
	"sync"
	"time"
)

// memoryStore is the embedded dedupe store of a route: a map guarded by a
// mutex, with its entries also in a min-heap by expiry, so that expired
// entries are found at the top without scanning the map, whatever their
// lifetimes (a lease of seconds, a ttl of days).
//
// It never makes room by forgetting. An entry leaves when it expires (a
// seen event after its ttl, a claim after its lease, which is how a
// request that never finished lets go) or when its holder releases it.
// When maxEntries live entries are held, a new event's claim is answered
// full and the delivery refused with a 503 the vendor retries: evicting a
// remembered event would let its replay through, and evicting a claim
// would let a concurrent copy be forwarded.
type memoryStore struct {
	mu         sync.Mutex
	entries    map[string]*memoryEntry
	byExpiry   []*memoryEntry // a min-heap on expires
	maxEntries int
	now        func() time.Time
}

type memoryEntry struct {
	key     string
	token   string // the holder's, while in flight; "" once seen
	expires int64  // Unix nanoseconds
	index   int    // in byExpiry
}

func newMemoryStore(maxEntries int) *memoryStore {
	return &memoryStore{
		entries:    make(map[string]*memoryEntry),
		maxEntries: maxEntries,
		now:        time.Now,
	}
}

// Destruct implements caddy.Destructor; there is nothing to close.
func (m *memoryStore) Destruct() error { return nil }

// setMaxEntries changes the bound. A lower bound than the entries held
// evicts nothing: new events wait for room.
func (m *memoryStore) setMaxEntries(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.maxEntries = n
}

// Claim implements Store.
func (m *memoryStore) Claim(_ context.Context, key, token string, lease time.Duration) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().UnixNano()
	m.dropExpired(now)
	if e, ok := m.entries[key]; ok { // live: expired entries are gone
		if e.token == "" {
			return Seen, nil
		}
		return InFlight, nil
	}
	if len(m.byExpiry) >= m.maxEntries {
		return Full, nil
	}
	e := &memoryEntry{key: key, token: token, expires: now + int64(lease)}
	m.entries[key] = e
	m.push(e)
	return Claimed, nil
}

// Complete implements Store.
func (m *memoryStore) Complete(_ context.Context, key, token string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[key]; ok && e.token == token {
		e.token, e.expires = "", m.now().UnixNano()+int64(ttl)
		m.fix(e.index)
	}
	return nil
}

// Release implements Store.
func (m *memoryStore) Release(_ context.Context, key, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[key]; ok && e.token == token {
		m.remove(e)
	}
	return nil
}

// dropExpired removes the entries whose time is up, soonest first: a few
// steps at the top of the heap, never a scan.
func (m *memoryStore) dropExpired(now int64) {
	for len(m.byExpiry) > 0 && m.byExpiry[0].expires <= now {
		m.remove(m.byExpiry[0])
	}
}

// len is how many entries the store holds.
func (m *memoryStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byExpiry)
}

// The heap, written out rather than through container/heap: no interface
// calls on the path of every delivery.

func (m *memoryStore) push(e *memoryEntry) {
	e.index = len(m.byExpiry)
	m.byExpiry = append(m.byExpiry, e)
	m.up(e.index)
}

func (m *memoryStore) remove(e *memoryEntry) {
	delete(m.entries, e.key)
	i, last := e.index, len(m.byExpiry)-1
	if i != last {
		m.swap(i, last)
	}
	m.byExpiry[last] = nil
	m.byExpiry = m.byExpiry[:last]
	if i != last {
		m.fix(i)
	}
}

func (m *memoryStore) fix(i int) {
	if !m.down(i) {
		m.up(i)
	}
}

func (m *memoryStore) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if m.byExpiry[parent].expires <= m.byExpiry[i].expires {
			return
		}
		m.swap(i, parent)
		i = parent
	}
}

// down moves entry i down to its place and reports whether it moved.
func (m *memoryStore) down(i int) bool {
	start, n := i, len(m.byExpiry)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if right := child + 1; right < n && m.byExpiry[right].expires < m.byExpiry[child].expires {
			child = right
		}
		if m.byExpiry[i].expires <= m.byExpiry[child].expires {
			break
		}
		m.swap(i, child)
		i = child
	}
	return i > start
}

func (m *memoryStore) swap(i, j int) {
	h := m.byExpiry
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

// Interface guards
var (
	_ Store = (*memoryStore)(nil)
)
