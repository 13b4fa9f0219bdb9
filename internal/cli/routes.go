package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// biohookRoute is one biohook handler in a config, with the matcher sets
// of every route around it, outermost first.
type biohookRoute struct {
	index   int // 1-based, in config order
	server  string
	handler []byte
	match   []jsontext.Value // each a route's "match": a list of matcher sets
}

// configRoute is the part of an HTTP route the walk reads.
type configRoute struct {
	Match  jsontext.Value   `json:"match,omitempty"`
	Handle []jsontext.Value `json:"handle,omitempty"`
}

type configHandler struct {
	Handler string        `json:"handler"`
	Routes  []configRoute `json:"routes,omitempty"`
}

type configHTTP struct {
	Apps struct {
		HTTP struct {
			Servers map[string]struct {
				Routes []configRoute `json:"routes,omitempty"`
			} `json:"servers,omitempty"`
		} `json:"http"`
	} `json:"apps"`
}

// loadRoutes adapts the config file and finds every biohook handler in it.
func loadRoutes(path, adapter string) ([]*biohookRoute, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if adapter == "" && !strings.EqualFold(filepath.Ext(path), ".json") {
		adapter = "caddyfile"
	}
	if adapter != "" {
		a := caddyconfig.GetAdapter(adapter)
		if a == nil {
			return nil, fmt.Errorf("unknown config adapter %q", adapter)
		}
		if raw, _, err = a.Adapt(raw, map[string]any{"filename": path}); err != nil {
			return nil, fmt.Errorf("adapting %s: %w", path, err)
		}
	}
	var cfg configHTTP
	if err := json.Unmarshal(raw, &cfg, json.RejectUnknownMembers(false)); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var found []*biohookRoute
	names := make([]string, 0, len(cfg.Apps.HTTP.Servers))
	for name := range cfg.Apps.HTTP.Servers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		walkRoutes(cfg.Apps.HTTP.Servers[name].Routes, name, nil, &found)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%s has no biohook handler", path)
	}
	return found, nil
}

func walkRoutes(routes []configRoute, server string, outer []jsontext.Value, found *[]*biohookRoute) {
	for _, rt := range routes {
		match := outer
		if len(rt.Match) > 0 {
			match = append(append([]jsontext.Value(nil), outer...), rt.Match)
		}
		for _, raw := range rt.Handle {
			var h configHandler
			if json.Unmarshal(raw, &h) != nil {
				continue
			}
			switch h.Handler {
			case "biohook":
				*found = append(*found, &biohookRoute{index: len(*found) + 1, server: server, handler: raw, match: match})
			case "subroute":
				walkRoutes(h.Routes, server, match, found)
			}
		}
	}
}

// pickRoute chooses the handler: the n-th, or the first whose routes all
// match a request for the given path (the captured request's own path
// when none is given).
func pickRoute(ctx caddy.Context, routes []*biohookRoute, route string, captured *http.Request) (*biohookRoute, error) {
	if n, err := strconv.Atoi(strings.TrimPrefix(route, "#")); err == nil {
		if n < 1 || n > len(routes) {
			return nil, fmt.Errorf("--route %d: the config has %d biohook handlers", n, len(routes))
		}
		return routes[n-1], nil
	}
	r := captured.Clone(captured.Context())
	pathOnly := route != ""
	if pathOnly {
		r.URL.Path, r.URL.RawPath = route, ""
	}
	repl := caddy.NewReplacer()
	c := context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl)
	c = context.WithValue(c, caddyhttp.VarsCtxKey, map[string]any{})
	r = r.WithContext(c)
	for _, rt := range routes {
		ok, err := routeMatches(ctx, rt, r, pathOnly)
		if err != nil {
			return nil, err
		}
		if ok {
			return rt, nil
		}
	}
	return nil, fmt.Errorf("%w %s", errNoRoute, r.URL.Path)
}

var errNoRoute = errors.New("no biohook handler's route matches")

// listRoutes describes each handler: its number, vendor and matchers.
func listRoutes(routes []*biohookRoute) string {
	var b strings.Builder
	for _, rt := range routes {
		var h struct {
			Vendor struct {
				Name string `json:"name"`
			} `json:"vendor"`
		}
		_ = json.Unmarshal(rt.handler, &h)
		fmt.Fprintf(&b, "  %d: %s (server %s)", rt.index, h.Vendor.Name, rt.server)
		for _, m := range rt.match {
			fmt.Fprintf(&b, " %s", m)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// routeMatches reports whether every level of routes around rt matches r:
// at each level one of the matcher sets, and in a set every matcher. With
// pathOnly, only path matchers count: the user named the path, and the
// capture's host may be a load balancer's.
func routeMatches(ctx caddy.Context, rt *biohookRoute, r *http.Request, pathOnly bool) (bool, error) {
	for _, level := range rt.match {
		var sets []map[string]jsontext.Value
		if err := json.Unmarshal(level, &sets); err != nil {
			return false, err
		}
		any := len(sets) == 0
		for _, set := range sets {
			ok, err := setMatches(ctx, set, r, pathOnly)
			if err != nil {
				return false, err
			}
			any = any || ok
		}
		if !any {
			return false, nil
		}
	}
	return true, nil
}

func setMatches(ctx caddy.Context, set map[string]jsontext.Value, r *http.Request, pathOnly bool) (bool, error) {
	for name, raw := range set {
		if pathOnly && name != "path" && name != "path_regexp" {
			continue
		}
		mod, err := ctx.LoadModuleByID("http.matchers."+name, []byte(raw))
		if err != nil {
			return false, fmt.Errorf("loading matcher %s: %w", name, err)
		}
		var ok bool
		switch m := mod.(type) {
		case caddyhttp.RequestMatcherWithError:
			ok, err = m.MatchWithError(r)
		case caddyhttp.RequestMatcher:
			ok = m.Match(r)
		default:
			return false, fmt.Errorf("matcher %s cannot match requests", name)
		}
		if err != nil || !ok {
			return false, nil
		}
	}
	return true, nil
}
