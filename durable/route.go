package durable

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

// Route is a durable route's handle on its spool, and all a spool knows of
// the route: its name, its settings and keys, the server its deliveries
// are sent through, and the handler they must reach. The handler that
// provisions it enqueues through it and asks it whether a marked request
// is one of its deliveries.
type Route struct {
	cfg     *Config
	name    string                      // the route's name in its spool: vendor[/name]
	vendor  string                      // for logs and metrics
	owner   caddyhttp.MiddlewareHandler // the handler a delivery of the route must reach
	logger  *zap.Logger
	metrics routeMetrics

	spool  atomic.Pointer[spoolRef]         // nil until the config starts
	server atomic.Pointer[caddyhttp.Server] // where spooled events are sent through

	auth   *recordAuth              // signs and verifies the route's records; nil: no key (bolt only)
	redact func(path string) string // the vendor's, if it takes a credential in the path
}

// RouteSpec is what the handler tells Provision of its route.
type RouteSpec struct {
	// The vendor module's name; with Config.Name, the route's name.
	Vendor string

	// The handler a spooled delivery must reach to count as delivered:
	// the one that provisions the route.
	Owner caddyhttp.MiddlewareHandler

	// The vendor's shared secrets, from which the record keys are derived
	// when record_key is not set; nil if the vendor has none.
	KeyMaterial func() [][]byte

	// Replaces a credential in an escaped request path, for vendors that
	// take one there; nil if the vendor does not.
	RedactPath func(escapedPath string) string
}

// Provision settles the route's spool settings and record keys. The route
// is added to its config's Routes, which open the spool when the config
// starts.
func (c *Config) Provision(ctx caddy.Context, spec RouteSpec) (*Route, error) {
	c.setDefaults()
	if err := c.locate(); err != nil {
		return nil, fmt.Errorf("biohook durable: %w", err)
	}
	rt := &Route{cfg: c, name: spec.Vendor, vendor: spec.Vendor, owner: spec.Owner, logger: ctx.Logger(),
		metrics: newRouteMetrics(spec.Vendor), redact: spec.RedactPath}
	if c.Name != "" {
		rt.name += "/" + c.Name
	}
	auth, err := c.provisionRecordAuth(spec.KeyMaterial, spec.Vendor)
	if err != nil {
		return nil, fmt.Errorf("biohook durable: %w", err)
	}
	rt.auth = auth
	return rt, nil
}

// Name is the route's name in its spool: vendor, or vendor/name.
func (rt *Route) Name() string { return rt.name }

// Event is what the spool keeps of an event besides its body.
type Event struct {
	Key     string // unique to the route and the event, bounded in size
	ID      string // the Idempotency-Key of its deliveries
	Type    string // for placeholders
	Subject string
}

// ErrNotStarted refuses an event while the route's config has not started:
// there is no spool to store it in.
var ErrNotStarted = errors.New("the route's spool is not open: its config has not started")

// Enqueue stores a verified event durably; duplicate reports that the
// spool already knew it (waiting, dead, or delivered within remember). r is
// the live delivery: the spool keeps its host, path and client address, for
// the route's matchers to see again, and learns the route's server from it
// if it is not known yet. body is the spool's to keep.
func (rt *Route) Enqueue(r *http.Request, body []byte, ev Event) (duplicate bool, err error) {
	sp := rt.spooler()
	if sp == nil {
		return false, ErrNotStarted
	}
	if rt.server.Load() == nil {
		if srv, ok := r.Context().Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server); ok {
			rt.server.Store(srv)
			sp.signal()
		}
	}
	duplicate, err = sp.enqueue(rt.record(r, body, ev))
	if err == nil && !duplicate {
		rt.metrics.enqueued.Inc()
	}
	return duplicate, err
}

// record keeps what a delivery from the spool needs, signed for the
// route: the event, its media type and vendor, and the host, path (as
// received, before any rewrite; no query, a path credential redacted) and
// client address the route's matchers saw. Not the method (a delivery is a
// POST) nor the client's headers.
func (rt *Route) record(r *http.Request, body []byte, ev Event) *record {
	now := time.Now()
	u := r.URL
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && orig.URL != nil {
		u = orig.URL
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if rt.redact != nil {
		path = rt.redact(path)
	}
	rec := &record{
		Key: ev.Key, ID: ev.ID, Type: ev.Type, Subject: ev.Subject,
		Route:  rt.name,
		Vendor: r.Header.Get("Biohook-Vendor"), ContentType: r.Header.Get("Content-Type"),
		Host: r.Host, Path: path, RemoteAddr: r.RemoteAddr, TLS: r.TLS != nil,
		Enqueued: now, NextAt: now, Body: body,
	}
	if rt.cfg.Key != "" {
		if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
			rec.Order = repl.ReplaceAll(rt.cfg.Key, "")
		}
	}
	rt.auth.sign(rec)
	return rec
}

// Owns reports whether a marked request is a delivery of this route's
// spool; any other biohook route treats it as a live delivery, and refuses
// it, since it carries no credentials.
func (rt *Route) Owns(m *Redelivery) bool {
	return m.route == rt.name && m.spool == rt.spooler()
}

// spooler is the route's spool; nil before the config starts.
func (rt *Route) spooler() spooler {
	if ref := rt.spool.Load(); ref != nil {
		return ref.spooler
	}
	return nil
}

// Routes are the durable routes of one config. Start opens their spools (or
// takes the ones a running config has open), finds each route's server and
// hands the routes their spools: from then on, the newest config's routes
// deliver what waits. Stop lets go. Spools open when the config starts, not
// when it is only validated, so `caddy validate` never touches a spool file
// a running Caddy holds.
type Routes struct {
	list   []*Route
	opened []*Route // routes whose spool this config holds
}

// Add adds a provisioned route of the config.
func (rs *Routes) Add(rt *Route) { rs.list = append(rs.list, rt) }

// Check refuses two durable routes that share a spool and a name: the
// spool could not tell whose events are whose.
func (rs *Routes) Check() error {
	seen := make(map[string]bool)
	for _, rt := range rs.list {
		key := rt.cfg.poolKey + "\x00" + rt.name
		if seen[key] {
			return fmt.Errorf("biohook durable: two %s routes share the spool %s: give each a name (durable { name ... })",
				rt.vendor, rt.cfg.where())
		}
		seen[key] = true
	}
	return nil
}

// Start opens the spools and attaches the routes; servers is the config's
// http app, where each route's server is found (nil if it has none).
// Whatever it opened is let go again if a spool fails to open.
func (rs *Routes) Start(logger *zap.Logger, servers *caddyhttp.App) error {
	for _, rt := range rs.list {
		v, _, err := spoolPool.LoadOrNew(rt.cfg.poolKey, func() (caddy.Destructor, error) {
			return rt.cfg.open(logger.Named("spool"))
		})
		if err != nil {
			rs.Stop(logger)
			return fmt.Errorf("biohook durable: %w", err)
		}
		rs.opened = append(rs.opened, rt)
		rt.spool.Store(&spoolRef{v.(spooler)})
	}
	for _, rt := range rs.list {
		if servers != nil {
			if srv := findServer(servers, rt.owner); srv != nil {
				rt.server.Store(srv)
			}
		}
		if rt.server.Load() == nil {
			logger.Warn("durable route's server not found; deliveries wait for the route's first request",
				zap.String("vendor", rt.vendor))
		}
		rt.spooler().attach(rt)
	}
	return nil
}

// Stop lets go of the spools: the routes stop delivering (unless a newer
// config's routes have taken over), and the last config to let go of a
// spool closes it once its writes are done.
func (rs *Routes) Stop(logger *zap.Logger) {
	for _, rt := range rs.opened {
		if sp := rt.spooler(); sp != nil {
			sp.detach(rt)
		}
		if _, err := spoolPool.Delete(rt.cfg.poolKey); err != nil {
			logger.Error("closing spool", zap.String("spool", rt.cfg.where()), zap.Error(err))
		}
	}
	rs.opened = nil
}
