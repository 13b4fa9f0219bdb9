package biohook

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
)

// The check the biohook app repeats when the config starts reads loaded
// handlers, as Caddy leaves them after provisioning.
func TestPlacementCheckOnLoadedServer(t *testing.T) {
	bh := func(vendor string) *Handler { return &Handler{vendorName: vendor} }
	route := func(hs ...caddyhttp.MiddlewareHandler) caddyhttp.Route { return caddyhttp.Route{Handlers: hs} }
	proxy := &reverseproxy.Handler{}
	cases := []struct {
		name   string
		routes caddyhttp.RouteList
		want   string
	}{
		{"proxy first", caddyhttp.RouteList{route(proxy, bh("faceio"))}, "reverse_proxy comes before biohook faceio"},
		{"two", caddyhttp.RouteList{route(bh("faceio"), bh("argos"), proxy)}, "two biohook handlers"},
		{"in a subroute after a proxy route", caddyhttp.RouteList{route(proxy),
			route(&caddyhttp.Subroute{Routes: caddyhttp.RouteList{route(bh("faceio"), proxy)}})}, "reverse_proxy comes before"},
		{"alone", caddyhttp.RouteList{route(bh("faceio"))}, "no handler after biohook faceio"},
		{"well placed", caddyhttp.RouteList{route(&caddyhttp.VarsMiddleware{}, bh("faceio"), proxy)}, ""},
		{"disjoint paths", caddyhttp.RouteList{
			{MatcherSets: caddyhttp.MatcherSets{{&caddyhttp.MatchPath{"/api/*"}}}, Handlers: []caddyhttp.MiddlewareHandler{proxy}},
			{MatcherSets: caddyhttp.MatcherSets{{&caddyhttp.MatchPath{"/hooks/faceio"}}}, Handlers: []caddyhttp.MiddlewareHandler{bh("faceio"), proxy}},
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkServer("srv0", &caddyhttp.Server{Routes: c.routes})
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}
