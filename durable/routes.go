package durable

import (
	"errors"
	"slices"
	"strings"
	"sync"
)

// routeTable is what every spool keeps of its routes: for each, the Route
// of the running config that delivers its events, and the wake-up of the
// delivery loop.
type routeTable struct {
	mu     sync.Mutex
	routes map[string]*routeState
	wake   chan struct{}
}

// routeState is one durable route: the Route of the running config that
// delivers its events, and how its deliveries are going.
type routeState struct {
	route    *Route   // the newest attached; nil while no running config has the route
	attached []*Route // every config's Route still attached, oldest first
	inFlight int
	failing  bool // the last attempt failed: the first success wakes the rest
	vendor   string
}

// ready reports whether the route can deliver: a running config has it, and
// its server is known (found at start, or from the route's first request).
// A route that is not ready waits; it spends no attempts.
func (rs *routeState) ready() bool {
	return rs.route != nil && rs.route.server.Load() != nil
}

func newRouteTable() routeTable {
	return routeTable{routes: make(map[string]*routeState), wake: make(chan struct{}, 1)}
}

// attach makes rt the one that delivers its route's events: the newest
// config's route takes over from the old one.
func (t *routeTable) attach(rt *Route) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rs := t.route(rt.name)
	rs.attached = append(rs.attached, rt)
	rs.route = rt
	t.signal()
}

// detach lets go of rt. If rt was delivering, the newest Route still
// attached takes over: a config that failed to start gives the route back
// to the one still running.
func (t *routeTable) detach(rt *Route) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rs := t.routes[rt.name]
	if rs == nil {
		return
	}
	rs.attached = slices.DeleteFunc(rs.attached, func(a *Route) bool { return a == rt })
	rs.route = nil
	if n := len(rs.attached); n > 0 {
		rs.route = rs.attached[n-1]
	}
	t.signal()
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

// runningRoute is the named route of the running config, nil if none
// runs it.
func (t *routeTable) runningRoute(name string) *Route {
	t.mu.Lock()
	defer t.mu.Unlock()
	if rs := t.routes[name]; rs != nil && rs.route != nil {
		return rs.route
	}
	return nil
}

// errRouteNotRunning refuses a replay onto a route that no running config
// of this spool has: only a running route can sign the records it takes.
var errRouteNotRunning = errors.New("no running config has the route in this spool")

// routeVendor is the vendor of a route name: vendor[/name].
func routeVendor(route string) string {
	vendor, _, _ := strings.Cut(route, "/")
	return vendor
}
