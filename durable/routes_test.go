package durable

import "testing"

// The newest config's route delivers; when it lets go (its config failed
// to start, or was replaced and stopped), the newest one still attached
// takes over, and the route is idle only when none is.
func TestRouteTableHandOver(t *testing.T) {
	routes := newRouteTable()
	handler := func() *Route { return &Route{name: "entrust"} }
	running, failed := handler(), handler()
	routes.attach(running)
	routes.attach(failed)
	if got := routes.routes["entrust"].route; got != failed {
		t.Fatal("the newest handler does not deliver")
	}
	routes.detach(failed) // the new config did not start
	if got := routes.routes["entrust"].route; got != running {
		t.Fatal("the running config's handler did not take the route back")
	}
	next := handler()
	routes.attach(next)
	routes.detach(running) // the old config stops after the new one started
	if got := routes.routes["entrust"].route; got != next {
		t.Fatal("stopping the old config took the route from the new one")
	}
	routes.detach(next)
	if routes.routes["entrust"].route != nil {
		t.Fatal("a route with no handler attached still delivers")
	}
}
