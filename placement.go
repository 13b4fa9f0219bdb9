package biohook

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/certmagic"
)

// Where a biohook handler sits decides whether it protects anything. Caddy
// runs a server's routes as one chain of handlers, in the order written
// (the Caddyfile sorts the directives of a site, but `route` blocks and JSON
// configs keep the written order). A handler that answers before biohook
// answers deliveries biohook never verified; a second biohook after the
// first sees an event, not the vendor's delivery; a biohook that nothing
// after it can answer drops every event it verifies. Configs with any of
// these refuse to load.
//
// The check walks each server's chains: the primary routes, the error
// routes, each named route, and the subroutes within them, in the order
// Caddy runs them. Two handlers of a chain can see the same request unless
// the matchers guarding them provably exclude each other (different hosts,
// paths or methods), so an answering handler guarded by any other matcher
// counts as running first.

// stepKind is what a handler can do to a delivery that reaches it.
type stepKind int

const (
	answers     stepKind = iota // may answer: forwards, serves, or anything not known to pass through
	passThrough                 // always hands the request on
	refuseOnly                  // hands the request on or refuses it; never forwards or succeeds
	biohookStep
)

// passThroughHandlers are the handlers known to hand every request on
// without answering it. Anything not listed here answers.
var passThroughHandlers = map[string]bool{
	"headers":      true, // header, request_header
	"vars":         true, // vars, root, fs, log_skip, log_name, log_level
	"map":          true,
	"log_append":   true,
	"request_body": true, // refuses only a body over its limit
	"timeouts":     true,
	"rewrite":      true, // rewrite, uri, method, try_files
	"encode":       true,
	"push":         true,
	"tracing":      true,
}

// endsChain are the handlers that never hand a request on.
var endsChain = map[string]bool{"reverse_proxy": true, "static_response": true, "error": true}

// chainStep is one handler of a flattened chain.
type chainStep struct {
	name    string // the handler's module name
	vendor  string // the vendor, for a biohook handler
	handler *Handler
	kind    stepKind
	guards  []*routeNode // the routes that must match for it to run, outermost first
}

// routeNode is a route of a chain, as the walk needs it.
type routeNode struct {
	where    string // e.g. `route 2 [path /hooks/faceio] > route 1`
	list     int    // which route list it is in
	group    string
	terminal bool
	match    []matchSet   // any one must match; none: every request
	path     []*routeNode // the routes around it, outermost first, and itself
	enter    int          // the index in its chain of the first step after it is entered
}

// matchSet is the part of a matcher set the walk can compare; all of its
// matchers must match.
type matchSet struct {
	host, path, method []string
	other              []string // matchers it does not compare
}

// chain is a flattened handler chain.
type chain struct {
	name  string // e.g. `server srv0` or `server srv0, error routes`
	open  bool   // its end is not known (a named route goes on after invoke)
	steps []chainStep
}

// walker flattens the chains of one server.
type walker struct {
	server string
	chains []*chain
	lists  int
	err    error
}

// checkServer refuses a server whose chains hold a misplaced biohook
// handler. It works on a server being provisioned (routes not yet loaded
// are read from their JSON) and on a provisioned one.
func checkServer(name string, srv *caddyhttp.Server) error {
	w := &walker{server: name}
	w.walkServer(srv)
	if w.err != nil {
		return w.err
	}
	for _, c := range w.chains {
		if err := c.check(); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) walkServer(srv *caddyhttp.Server) {
	primary := &chain{name: "server " + w.server}
	w.chains = append(w.chains, primary)
	w.walkRoutes(primary, srv.Routes, nil, "")
	if srv.Errors != nil {
		c := &chain{name: "server " + w.server + ", error routes"}
		w.chains = append(w.chains, c)
		w.walkRoutes(c, srv.Errors.Routes, nil, "")
	}
	names := make([]string, 0, len(srv.NamedRoutes))
	for name := range srv.NamedRoutes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if r := srv.NamedRoutes[name]; r != nil {
			c := &chain{name: "server " + w.server + ", named route " + name, open: true}
			w.chains = append(w.chains, c)
			w.walkRoutes(c, caddyhttp.RouteList{*r}, nil, "")
		}
	}
}

// walkRoutes appends the handlers of routes to c, each guarded by guards and
// its own route.
func (w *walker) walkRoutes(c *chain, routes caddyhttp.RouteList, guards []*routeNode, where string) {
	w.lists++
	list := w.lists
	for i := range routes {
		r := &routes[i]
		node := &routeNode{list: list, group: r.Group, terminal: r.Terminal, enter: len(c.steps)}
		node.match = w.routeMatch(r)
		node.where = where + "route " + strconv.Itoa(i+1) + describeMatch(node.match)
		inner := append(slices.Clip(guards), node)
		node.path = inner
		if r.HandlersRaw != nil {
			for _, raw := range r.HandlersRaw {
				w.walkRawHandler(c, raw, inner, node.where)
			}
			continue
		}
		for _, h := range r.Handlers {
			w.walkHandler(c, h, inner, node.where)
		}
	}
}

func (w *walker) walkHandler(c *chain, h caddyhttp.MiddlewareHandler, guards []*routeNode, where string) {
	switch h := h.(type) {
	case *caddyhttp.Subroute:
		w.walkSubroute(c, h, guards, where)
		return
	case *Handler:
		c.steps = append(c.steps, chainStep{name: "biohook", vendor: h.vendorName, handler: h, kind: biohookStep, guards: guards})
		return
	}
	name := caddy.GetModuleName(h)
	kind := handlerKind(name)
	if s, ok := h.(*caddyhttp.StaticResponse); ok && refusesOnly(string(s.StatusCode), s.Abort) {
		kind = refuseOnly
	}
	c.steps = append(c.steps, chainStep{name: name, kind: kind, guards: guards})
}

// rawHandler is the part of a handler's JSON the walk reads.
type rawHandler struct {
	Handler    string                `json:"handler"`
	Vendor     struct{ Name string } `json:"vendor"`
	StatusCode json.RawMessage       `json:"status_code"`
	Abort      bool                  `json:"abort"`
}

func (w *walker) walkRawHandler(c *chain, raw json.RawMessage, guards []*routeNode, where string) {
	var h rawHandler
	if err := json.Unmarshal(raw, &h); err != nil {
		w.fail(fmt.Errorf("biohook: reading the handlers of server %s, %s: %w", w.server, where, err))
		return
	}
	switch h.Handler {
	case "subroute":
		var sub caddyhttp.Subroute
		if err := json.Unmarshal(raw, &sub); err != nil {
			w.fail(fmt.Errorf("biohook: reading the subroute of server %s, %s: %w", w.server, where, err))
			return
		}
		w.walkSubroute(c, &sub, guards, where)
	case "biohook":
		c.steps = append(c.steps, chainStep{name: "biohook", vendor: h.Vendor.Name, kind: biohookStep, guards: guards})
	default:
		kind := handlerKind(h.Handler)
		if h.Handler == "static_response" {
			status, _ := strconv.Unquote(string(h.StatusCode))
			if status == "" {
				status = string(h.StatusCode)
			}
			if refusesOnly(status, h.Abort) {
				kind = refuseOnly
			}
		}
		c.steps = append(c.steps, chainStep{name: h.Handler, kind: kind, guards: guards})
	}
}

// walkSubroute inlines a subroute's routes, which run where it stands, and
// walks its error routes as a chain of their own.
func (w *walker) walkSubroute(c *chain, sub *caddyhttp.Subroute, guards []*routeNode, where string) {
	w.walkRoutes(c, sub.Routes, guards, where+" > ")
	if sub.Errors != nil && len(sub.Errors.Routes) > 0 {
		// They go on into what follows the subroute: their end is open.
		ec := &chain{name: c.name + ", error routes of " + where, open: true}
		w.chains = append(w.chains, ec)
		w.walkRoutes(ec, sub.Errors.Routes, guards, where+" > errors > ")
	}
}

func (w *walker) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func handlerKind(name string) stepKind {
	switch {
	case passThroughHandlers[name]:
		return passThrough
	case name == "authentication", name == "error":
		return refuseOnly // basic_auth: 401 or on; error: an error status
	}
	return answers
}

// refusesOnly reports whether a static response is an abort or a literal
// error status: it can only refuse.
func refusesOnly(status string, abort bool) bool {
	if abort {
		return true
	}
	code, err := strconv.Atoi(status)
	return err == nil && code >= 400
}

// comparable reports whether two routes' matchers see the same path and
// method: no rewrite that can run before the later one is entered lies
// between them.
func (c *chain) comparable(x, y *routeNode) bool {
	if x.enter > y.enter {
		x, y = y, x
	}
	for i := x.enter; i < y.enter; i++ {
		if c.steps[i].name == "rewrite" && c.reaches(i, y) {
			return false
		}
	}
	return true
}

// reaches reports whether the chain can go on from the step at i into route
// g: not if a terminal route ends after it, if its route and g's are one
// group's, or if a handler that always ends the chain runs whenever it ran.
func (c *chain) reaches(i int, g *routeNode) bool {
	s := c.steps[i]
	k := sharedGuards(s.guards, g.path)
	for _, t := range c.steps[i+1 : g.enter] {
		if endsChain[t.name] && always(s, t, k) {
			return false
		}
	}
	for _, r := range s.guards[k:] {
		if r.terminal {
			return false
		}
	}
	if k < len(s.guards) && k < len(g.path) {
		sr, gr := s.guards[k], g.path[k]
		if sr.list == gr.list && sr.group != "" && sr.group == gr.group {
			return false
		}
	}
	return true
}

// routeMatch reads a route's matchers, loaded or still JSON.
func (w *walker) routeMatch(r *caddyhttp.Route) []matchSet {
	var out []matchSet
	if len(r.MatcherSets) > 0 {
		for _, set := range r.MatcherSets {
			var ms matchSet
			for _, m := range set {
				switch m := m.(type) {
				case *caddyhttp.MatchHost:
					ms.host = append(ms.host, (*m)...)
				case caddyhttp.MatchHost:
					ms.host = append(ms.host, m...)
				case *caddyhttp.MatchPath:
					ms.path = append(ms.path, (*m)...)
				case caddyhttp.MatchPath:
					ms.path = append(ms.path, m...)
				case *caddyhttp.MatchMethod:
					ms.method = append(ms.method, (*m)...)
				case caddyhttp.MatchMethod:
					ms.method = append(ms.method, m...)
				default:
					if mod, ok := m.(caddy.Module); ok {
						ms.other = append(ms.other, caddy.GetModuleName(mod))
					} else {
						ms.other = append(ms.other, fmt.Sprintf("%T", m))
					}
				}
			}
			out = append(out, ms)
		}
		return out
	}
	for _, set := range r.MatcherSetsRaw {
		var ms matchSet
		names := make([]string, 0, len(set))
		for name := range set {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			var list []string
			switch name {
			case "host", "path", "method":
				if err := json.Unmarshal(set[name], &list); err != nil {
					w.fail(fmt.Errorf("biohook: reading a %s matcher of server %s: %w", name, w.server, err))
				}
			}
			switch name {
			case "host":
				ms.host = append(ms.host, list...)
			case "path":
				ms.path = append(ms.path, list...)
			case "method":
				ms.method = append(ms.method, list...)
			default:
				ms.other = append(ms.other, name)
			}
		}
		out = append(out, ms)
	}
	return out
}

// describeMatch names a route's matchers for an error message.
func describeMatch(sets []matchSet) string {
	if len(sets) == 0 {
		return ""
	}
	var parts []string
	for _, s := range sets {
		var p []string
		if len(s.host) > 0 {
			p = append(p, "host "+strings.Join(s.host, " "))
		}
		if len(s.path) > 0 {
			p = append(p, "path "+strings.Join(s.path, " "))
		}
		if len(s.method) > 0 {
			p = append(p, "method "+strings.Join(s.method, " "))
		}
		p = append(p, s.other...)
		parts = append(parts, strings.Join(p, ", "))
	}
	return " [" + strings.Join(parts, " | ") + "]"
}

// check refuses the chain's misplaced biohook handlers, first problem first.
func (c *chain) check() error {
	for j, b := range c.steps {
		if b.kind != biohookStep {
			continue
		}
		for _, a := range c.steps[:j] {
			if a.kind != answers && a.kind != biohookStep {
				continue
			}
			if !c.mayMeet(a, b) {
				continue
			}
			if a.kind == biohookStep {
				return fmt.Errorf("biohook: %s, %s: two biohook handlers (%s, then %s) in one handler chain: "+
					"the second would check the first's event, not the vendor's delivery; "+
					"give each vendor a route of its own (e.g. handle /hooks/<vendor> { biohook ... })",
					c.name, b.where(), a.vendor, b.vendor)
			}
			return fmt.Errorf("biohook: %s, %s: %s comes before biohook %s and can answer a delivery "+
				"biohook never verified; write biohook first in that route "+
				"(a route block and JSON routes run in the order written)",
				c.name, a.where(), a.name, b.vendor)
		}
		if !c.open && !c.answeredAfter(j) {
			return fmt.Errorf("biohook: %s, %s: no handler after biohook %s can answer, so every verified "+
				"delivery would be dropped; put reverse_proxy (or the handler that takes the events) after it",
				c.name, b.where(), b.vendor)
		}
	}
	return nil
}

func (s chainStep) where() string {
	if len(s.guards) == 0 {
		return "top level"
	}
	return s.guards[len(s.guards)-1].where
}

// mayMeet reports whether a request that reaches b may reach a, which runs
// earlier in the chain: unless their routes are one group's (Caddy runs the
// first of a group that matches, as with handle blocks), or a route that
// guards one of them excludes a route that guards the other.
func (c *chain) mayMeet(a, b chainStep) bool {
	k := sharedGuards(a.guards, b.guards)
	if k < len(a.guards) && k < len(b.guards) {
		ga, gb := a.guards[k], b.guards[k]
		if ga.list == gb.list && ga.group != "" && ga.group == gb.group {
			return false
		}
	}
	for _, ga := range a.guards[k:] {
		for _, gb := range b.guards[k:] {
			if exclusive(ga.match, gb.match, c.comparable(ga, gb)) {
				return false
			}
		}
	}
	return true
}

// answeredAfter reports whether a handler that may answer can run after the
// biohook handler at j, for a request that reached it.
func (c *chain) answeredAfter(j int) bool {
	b := c.steps[j]
	for _, s := range c.steps[j+1:] {
		if s.kind != answers {
			continue
		}
		k := sharedGuards(b.guards, s.guards)
		cut := false
		for _, g := range b.guards[k:] {
			if g.terminal { // nothing after a terminal route runs
				cut = true
			}
		}
		if k < len(b.guards) && k < len(s.guards) {
			gb, gs := b.guards[k], s.guards[k]
			if gb.list == gs.list && gb.group != "" && gb.group == gs.group {
				cut = true // one route of a group runs, not two
			}
		}
		if cut || !c.mayMeet(s, b) {
			continue
		}
		return true
	}
	return false
}

// always reports whether t, later in the chain, runs whenever s ran, before
// the chain leaves the route around both at depth k: its own routes beyond
// s's match every request and are not in a group with s's.
func always(s, t chainStep, k int) bool {
	if len(s.guards) <= k || len(t.guards) <= k || t.guards[k] != s.guards[k] {
		return false
	}
	m := sharedGuards(s.guards, t.guards)
	for _, r := range t.guards[m:] {
		if len(r.match) > 0 {
			return false
		}
	}
	if m < len(s.guards) && m < len(t.guards) {
		sr, tr := s.guards[m], t.guards[m]
		if sr.list == tr.list && sr.group != "" && sr.group == tr.group {
			return false
		}
	}
	return true
}

func sharedGuards(a, b []*routeNode) int {
	k := 0
	for k < len(a) && k < len(b) && a[k] == b[k] {
		k++
	}
	return k
}

// exclusive reports whether no request can match both a and b. Empty means
// every request.
func exclusive(a, b []matchSet, comparePaths bool) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	for _, sa := range a {
		for _, sb := range b {
			if !setsExclusive(sa, sb, comparePaths) {
				return false
			}
		}
	}
	return true
}

func setsExclusive(a, b matchSet, comparePaths bool) bool {
	if len(a.host) > 0 && len(b.host) > 0 && !hostsOverlap(a.host, b.host) {
		return true
	}
	if !comparePaths {
		return false
	}
	if len(a.method) > 0 && len(b.method) > 0 && !methodsOverlap(a.method, b.method) {
		return true
	}
	return len(a.path) > 0 && len(b.path) > 0 && !pathsOverlap(a.path, b.path)
}

func hostsOverlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if hostOverlap(strings.ToLower(x), strings.ToLower(y)) {
				return true
			}
		}
	}
	return false
}

func hostOverlap(x, y string) bool {
	if strings.Contains(x, "{") || strings.Contains(y, "{") {
		return true // a placeholder could be anything
	}
	xw, yw := strings.Contains(x, "*"), strings.Contains(y, "*")
	switch {
	case xw && yw:
		return true
	case xw:
		return certmagic.MatchWildcard(y, x)
	case yw:
		return certmagic.MatchWildcard(x, y)
	}
	return x == y
}

func methodsOverlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(x, y) {
				return true
			}
		}
	}
	return false
}

func pathsOverlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if pathOverlap(strings.ToLower(x), strings.ToLower(y)) {
				return true
			}
		}
	}
	return false
}

// pathOverlap compares two path patterns of the forms it can tell apart,
// an exact path or a prefix ("/hooks/*"); any other form may overlap.
func pathOverlap(x, y string) bool {
	xp, xok := pathForm(x)
	yp, yok := pathForm(y)
	if !xok || !yok {
		return true
	}
	xPrefix, yPrefix := strings.HasSuffix(x, "*"), strings.HasSuffix(y, "*")
	switch {
	case xPrefix && yPrefix:
		return strings.HasPrefix(xp, yp) || strings.HasPrefix(yp, xp)
	case xPrefix:
		return strings.HasPrefix(yp, xp)
	case yPrefix:
		return strings.HasPrefix(xp, yp)
	}
	return xp == yp
}

// pathForm is a pattern's fixed part, if it is an exact path or a fixed
// prefix followed by one "*".
func pathForm(p string) (string, bool) {
	fixed := strings.TrimSuffix(p, "*")
	if !strings.HasPrefix(fixed, "/") || strings.ContainsAny(fixed, "*%{\\") || strings.Contains(fixed, "//") {
		return "", false
	}
	return fixed, true
}

// placeHandler registers h with the config's biohook app, which checks its
// place again, and its logs, when the config starts; and refuses a
// misplaced handler now, before any server of the config runs. A handler
// outside an HTTP server (a test, `caddy biohook verify`) has no place.
func (h *Handler) placeHandler(ctx caddy.Context) error {
	srv, ok := ctx.Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server)
	if !ok || srv == nil {
		return nil
	}
	app, err := biohookApp(ctx)
	if err != nil {
		return fmt.Errorf("biohook: %w", err)
	}
	app.place(h, srv)
	// The server is being provisioned: its routes before this one are
	// loaded, this one and those after it are still JSON. Both are read.
	return checkServer(serverName(ctx, srv), srv)
}

// serverName is srv's name in the http app being provisioned.
func serverName(ctx caddy.Context, srv *caddyhttp.Server) string {
	for _, m := range ctx.Modules() {
		if app, ok := m.(*caddyhttp.App); ok {
			for name, s := range app.Servers {
				if s == srv {
					return name
				}
			}
		}
	}
	return "(unnamed)"
}

// serverChains flattens a provisioned server's chains.
func serverChains(name string, srv *caddyhttp.Server) []*chain {
	w := &walker{server: name}
	w.walkServer(srv)
	return w.chains
}
