package biohook

import (
	"strings"
	"sync"
)

// routeTable is what every spool keeps of its routes: for each, the handler
// of the running config that delivers its events, and the wake-up of the
// delivery loop.
type routeTable struct {
	mu     sync.Mutex
	routes map[string]*routeState
	wake   chan struct{}
}

// routeState is one durable route: the handler of the running config that
// delivers its events, and how its deliveries are going.
type routeState struct {
	handler  *Handler // nil while no running config has the route
	inFlight int
	failing  bool // the last attempt failed: the first success wakes the rest
	vendor   string
}

func newRouteTable() routeTable {
	return routeTable{routes: make(map[string]*routeState), wake: make(chan struct{}, 1)}
}

// attach makes h the handler that delivers its route's events: the newest
// config's route takes over from the old one.
func (t *routeTable) attach(h *Handler) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.route(h.durable.name).handler = h
	t.signal()
}

// detach lets go of h, unless a newer config's handler has taken its place.
func (t *routeTable) detach(h *Handler) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if rs := t.routes[h.durable.name]; rs != nil && rs.handler == h {
		rs.handler = nil
	}
}

// route is the state of the named route, made on first use; the caller
// holds mu.
func (t *routeTable) route(name string) *routeState {
	rs := t.routes[name]
	if rs == nil {
		rs = &routeState{vendor: routeVendor(name)}
		t.routes[name] = rs
	}
	return rs
}

// signal wakes the loop; a wake already pending is enough.
func (t *routeTable) signal() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// routeVendor is the vendor of a route name: vendor[/name].
func routeVendor(route string) string {
	vendor, _, _ := strings.Cut(route, "/")
	return vendor
}
