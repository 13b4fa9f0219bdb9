package biohook

import (
	"slices"
	"strings"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/durable"
)

func init() {
	caddy.RegisterModule(App{})
}

// App is the biohook handlers' app, one per config: it checks, when the
// config starts, where each handler sits and what the logs and stores
// around it keep; it keeps the identities of the config's dedupe routes;
// and it starts and stops the spools of its durable routes. Routes ask for
// it as they are provisioned; it needs no configuration of its own. Spools
// open when the config starts, not when it is only validated, so `caddy
// validate` never touches a spool file a running Caddy holds.
type App struct {
	ctx     caddy.Context
	logger  *zap.Logger
	durable durable.Routes // the config's durable routes
	placed  []placed       // every biohook handler of the config's HTTP servers

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

// Start checks, on the loaded servers, where each handler sits and what
// the logs and stores around it keep, then starts the durable routes: each
// spool opens (or the one a running config has open is taken), and from
// here on the newest config's routes deliver what waits.
func (a *App) Start() error {
	if err := a.checkPlacement(); err != nil {
		return err
	}
	if err := a.durable.Check(); err != nil {
		return err
	}
	a.warnLogs()
	for _, p := range a.placed {
		if p.h.Dedupe != nil {
			p.h.Dedupe.WarnPersistence(a.logger)
		}
	}
	return a.durable.Start(a.logger, a.httpApp())
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
	a.durable.Stop(a.logger)
	return nil
}

// Interface guards
var (
	_ caddy.App         = (*App)(nil)
	_ caddy.Provisioner = (*App)(nil)
)
