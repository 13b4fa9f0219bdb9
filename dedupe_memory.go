package biohook

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// memoryStore is the embedded dedupe store: a map guarded by a mutex, with
// its entries in a list from oldest to newest, so that the oldest is evicted
// first when the store is full and expired entries are found at the front
// without scanning the map.
type memoryStore struct {
	mu         sync.Mutex
	entries    map[string]*list.Element
	order      *list.List // of *memoryEntry, oldest first
	maxEntries int
	now        func() time.Time
}

type memoryEntry struct {
	key     string
	token   string // the holder's, while in flight; "" once seen
	expires time.Time
}

func newMemoryStore(maxEntries int) *memoryStore {
	return &memoryStore{
		entries:    make(map[string]*list.Element),
		order:      list.New(),
		maxEntries: maxEntries,
		now:        time.Now,
	}
}

// Destruct implements caddy.Destructor; there is nothing to close.
func (m *memoryStore) Destruct() error { return nil }

// Claim implements dedupeStore.
func (m *memoryStore) Claim(_ context.Context, key, token string, lease time.Duration) (claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.dropExpired(now)
	if el, ok := m.entries[key]; ok {
		e := el.Value.(*memoryEntry)
		if now.Before(e.expires) {
			if e.token == "" {
				return seen, nil
			}
			return inFlight, nil
		}
		m.remove(el)
	}
	m.insert(&memoryEntry{key: key, token: token, expires: now.Add(lease)})
	return claimed, nil
}

// Complete implements dedupeStore.
func (m *memoryStore) Complete(_ context.Context, key, token string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.entries[key]; ok && el.Value.(*memoryEntry).token == token {
		m.remove(el)
		m.insert(&memoryEntry{key: key, expires: m.now().Add(ttl)})
	}
	return nil
}

// Release implements dedupeStore.
func (m *memoryStore) Release(_ context.Context, key, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.entries[key]; ok && el.Value.(*memoryEntry).token == token {
		m.remove(el)
	}
	return nil
}

func (m *memoryStore) insert(e *memoryEntry) {
	for m.order.Len() >= m.maxEntries {
		m.remove(m.order.Front())
	}
	m.entries[e.key] = m.order.PushBack(e)
}

func (m *memoryStore) remove(el *list.Element) {
	delete(m.entries, el.Value.(*memoryEntry).key)
	m.order.Remove(el)
}

// dropExpired removes expired entries from the front of the list. The list
// is in insertion order, which is expiry order for entries of one lifetime,
// so the loop stops at the first live entry: a few steps, never a scan.
func (m *memoryStore) dropExpired(now time.Time) {
	for el := m.order.Front(); el != nil; el = m.order.Front() {
		if now.Before(el.Value.(*memoryEntry).expires) {
			return
		}
		m.remove(el)
	}
}

// Interface guards
var _ dedupeStore = (*memoryStore)(nil)
