package biohook

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(App{})
}

// App starts and stops the spools of a config's durable routes, keeps the
// identities of its dedupe routes, and checks, when the config starts, where
// each biohook handler sits and what the logs and stores around it keep.
// Routes ask for it as they are provisioned; it needs no configuration of
// its own. Spools open when the config starts, not when it is only
// validated, so `caddy validate` never touches a spool file a running Caddy
// holds.
type App struct {
	ctx      caddy.Context
	logger   *zap.Logger
	handlers []*Handler // the durable ones
	opened   []*Handler // handlers whose spool this config holds
	placed   []placed   // every biohook handler of the config's HTTP servers

	derived *identitySet // of this config's unnamed dedupe routes
}

// placed is a biohook handler and the server it is in.
type placed struct {
	h   *Handler
	srv *caddyhttp.Server
}

// identitySet is a set of route identities, safe for concurrent use.
type identitySet struct {
	mu  sync.Mutex
	ids map[string]bool
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "biohook",
		New: func() caddy.Module { return new(App) },
	}
}

// Provision keeps the config's context, to find the http app at start.
func (a *App) Provision(ctx caddy.Context) error {
	a.ctx, a.logger = ctx, ctx.Logger()
	a.derived = &identitySet{ids: make(map[string]bool)}
	return nil
}

// biohookApp is the config's biohook app, loaded on first use.
func biohookApp(ctx caddy.Context) (*App, error) {
	v, err := ctx.App("biohook")
	if err != nil {
		return nil, err
	}
	return v.(*App), nil
}

// register adds a durable route of this config.
func (a *App) register(h *Handler) {
	a.handlers = append(a.handlers, h)
}

// claimIdentity records the derived identity of an unnamed dedupe route of
// this config. It reports false if another route of the config derived the
// same: the two would share one memory of events. Each config has its own
// App, so the routes of the config a reload replaces never count.
func (a *App) claimIdentity(identity string) bool {
	s := a.derived
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[identity] {
		return false
	}
	s.ids[identity] = true
	return true
}

// place adds a biohook handler of this config, in srv.
func (a *App) place(h *Handler, srv *caddyhttp.Server) {
	a.placed = append(a.placed, placed{h, srv})
}

// Start opens each spool (or takes the one a running config has open),
// finds each route's server and hands the routes their spools: from here on,
// the newest config's routes deliver what waits.
func (a *App) Start() error {
	if err := a.checkPlacement(); err != nil {
		return err
	}
	if err := a.checkRoutes(); err != nil {
		return err
	}
	a.warnLogs()
	for _, p := range a.placed {
		if p.h.Dedupe != nil {
			p.h.Dedupe.WarnPersistence(a.logger)
		}
	}
	for _, h := range a.handlers {
		v, _, err := spoolPool.LoadOrNew(h.Durable.poolKey, func() (caddy.Destructor, error) {
			return h.Durable.open(a.logger.Named("spool"))
		})
		if err != nil {
			_ = a.Stop()
			return fmt.Errorf("biohook durable: %w", err)
		}
		a.opened = append(a.opened, h)
		h.durable.spool.Store(&spoolRef{v.(spooler)})
	}
	servers := a.httpApp()
	for _, h := range a.handlers {
		if servers != nil {
			if srv := findServer(servers, h); srv != nil {
				h.durable.server.Store(srv)
			}
		}
		if h.durable.server.Load() == nil {
			a.logger.Warn("durable route's server not found; deliveries wait for the route's first request",
				zap.String("vendor", h.vendorName))
		}
		h.durable.spooler().attach(h)
	}
	return nil
}

// checkRoutes refuses two durable routes that share a spool and a name: the
// spool could not tell whose events are whose.
func (a *App) checkRoutes() error {
	seen := make(map[string]bool)
	for _, h := range a.handlers {
		key := h.Durable.poolKey + "\x00" + h.durable.name
		if seen[key] {
			return fmt.Errorf("biohook durable: two %s routes share the spool %s: give each a name (durable { name ... })",
				h.vendorName, h.Durable.where())
		}
		seen[key] = true
	}
	return nil
}

// checkPlacement checks again, on the loaded servers, what each handler
// checked while its server was being loaded. Apps start in no set order,
// and the http app may already serve when this runs; an error still stops
// the config (Caddy stops the apps it started and keeps the running one).
func (a *App) checkPlacement() error {
	for _, s := range a.servers() {
		if err := checkServer(s.name, s.srv); err != nil {
			return err
		}
	}
	return nil
}

// namedServer is a server of the http app that holds biohook handlers.
type namedServer struct {
	name string
	srv  *caddyhttp.Server
}

// servers are the http app's servers that hold this config's handlers,
// by name.
func (a *App) servers() []namedServer {
	app := a.httpApp()
	if app == nil {
		return nil
	}
	var out []namedServer
	for name, srv := range app.Servers {
		if slices.ContainsFunc(a.placed, func(p placed) bool { return p.srv == srv }) {
			out = append(out, namedServer{name, srv})
		}
	}
	slices.SortFunc(out, func(x, y namedServer) int { return strings.Compare(x.name, y.name) })
	return out
}

func (a *App) httpApp() *caddyhttp.App {
	v, err := a.ctx.App("http")
	if err != nil {
		return nil
	}
	app, _ := v.(*caddyhttp.App)
	return app
}

// Stop lets go of the spools: the routes stop delivering (unless a newer
// config's routes have taken over), and the last config to let go of a
// spool closes it once its writes are done.
func (a *App) Stop() error {
	for _, h := range a.opened {
		if sp := h.durable.spooler(); sp != nil {
			sp.detach(h)
		}
		if _, err := spoolPool.Delete(h.Durable.poolKey); err != nil {
			a.logger.Error("closing spool", zap.String("spool", h.Durable.where()), zap.Error(err))
		}
	}
	a.opened = nil
	return nil
}

// Interface guards
var (
	_ caddy.App         = (*App)(nil)
	_ caddy.Provisioner = (*App)(nil)
)
