package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// A biohook handler protects a route only if it runs first in it. Caddy's
// route blocks and JSON routes run in the order written.

// assertRefused loads config into the shared Caddy and wants it refused
// with want in the error.
func assertRefused(t *testing.T, config, adapter, want string) {
	t.Helper()
	caddytest.NewTester(t).InitServer(globals, "caddyfile") // the shared Caddy runs
	contentType := "text/caddyfile"
	if adapter == "json" {
		contentType = "application/json"
	}
	res, err := http.Post(adminBase+"/load", contentType, strings.NewReader(config))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK {
		t.Fatalf("the config loaded; want it refused with %q", want)
	}
	var refusal struct{ Error string }
	_ = json.Unmarshal(body, &refusal)
	if !strings.Contains(refusal.Error, want) {
		t.Fatalf("refused with %s\nwant %q in it", body, want)
	}
}

// jsonConfig is a JSON config on the test ports with the server's routes.
func jsonConfig(routes string) string {
	return `{
	"admin": {"listen": "localhost:2999"},
	"logging": {"logs": {"default": {"level": "ERROR"}}},
	"apps": {"http": {"http_port": 9080, "https_port": 9443, "grace_period": 1,
		"servers": {"srv0": {"listen": [":9080"], "routes": ` + routes + `}}}}
}`
}

const faceioHandler = `{"handler": "biohook", "vendor": {"name": "faceio", "secrets": ["fc-token-0123456789"]}}`

// A biohook handler after one that answers, or after another biohook, or
// with nothing after it that answers, does not load, in a Caddyfile route
// block or in JSON, and the error names the route to fix.
func TestMisplacedBiohookRefused(t *testing.T) {
	up := newUpstream(t)
	cases := []struct {
		name, config, adapter, want string
	}{
		{"reverse_proxy first in a route block", globals + `
:9080 {
	route /hooks/faceio {
		reverse_proxy ` + up.addr() + `
		biohook faceio {
			secret fc-token-0123456789
		}
	}
}`, "caddyfile", "route 1 [path /hooks/faceio] > route 1: reverse_proxy comes before biohook faceio"},
		{"a matcher on the earlier handler", globals + `
:9080 {
	route {
		reverse_proxy /hooks/* ` + up.addr() + `
		biohook faceio {
			secret fc-token-0123456789
		}
		respond "after" 200
	}
}`, "caddyfile", "reverse_proxy comes before biohook faceio"},
		{"respond first in a route block", globals + `
:9080 {
	route {
		respond "ok" 200
		biohook faceio {
			secret fc-token-0123456789
		}
		reverse_proxy ` + up.addr() + `
	}
}`, "caddyfile", "static_response comes before biohook faceio"},
		{"two biohook handlers", globals + `
:9080 {
	route /hooks/two {
		biohook faceio {
			secret fc-token-0123456789
		}
		biohook argos {
			path_token argos-path-token-01
		}
		reverse_proxy ` + up.addr() + `
	}
}`, "caddyfile", "two biohook handlers (faceio, then argos)"},
		{"nothing after biohook", globals + `
:9080 {
	handle /hooks/faceio {
		biohook faceio {
			secret fc-token-0123456789
		}
	}
	handle {
		respond "not a hook" 404
	}
}`, "caddyfile", "no handler after biohook faceio can answer"},
		{"JSON: an earlier route answers everything", jsonConfig(`[
			{"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "` + up.addr() + `"}]}]},
			{"match": [{"path": ["/hooks/faceio"]}], "handle": [` + faceioHandler + `, {"handler": "static_response"}]}
		]`), "json", "server srv0, route 1: reverse_proxy comes before biohook faceio"},
		{"JSON: a subroute before biohook", jsonConfig(`[
			{"handle": [{"handler": "subroute", "routes": [{"match": [{"method": ["POST"]}],
				"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "` + up.addr() + `"}]}]}]},
				` + faceioHandler + `, {"handler": "static_response"}]}
		]`), "json", "route 1 > route 1 [method POST]: reverse_proxy comes before biohook faceio"},
		{"JSON: biohook alone", jsonConfig(`[{"handle": [` + faceioHandler + `]}]`), "json",
			"no handler after biohook faceio can answer"},
		{"JSON: in error routes", `{
	"admin": {"listen": "localhost:2999"},
	"apps": {"http": {"http_port": 9080, "servers": {"srv0": {"listen": [":9080"],
		"routes": [{"handle": [{"handler": "error", "status_code": 500}]}],
		"errors": {"routes": [{"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "` + up.addr() + `"}]}, ` + faceioHandler + `]}]}}}}}
}`, "json", "error routes, route 1: reverse_proxy comes before biohook faceio"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assertRefused(t, c.config, c.adapter, c.want) })
	}
}

// What the check lets through: handlers that pass requests on or only
// refuse them before biohook, answering routes whose hosts or paths exclude
// biohook's, several sites and several vendors each in a route of its own,
// handle blocks whose paths overlap (only the first that matches runs).
// (An earlier route for another host does not exclude a route that names no
// host: a request for that host with the hook's path would reach it.)
func TestWellPlacedBiohookLoads(t *testing.T) {
	up := newUpstream(t)
	tester := startCaddy(t, `
http://a.localhost:9080 {
	reverse_proxy `+up.addr()+`
}
http://localhost:9080 {
	@blocked remote_ip 192.0.2.1
	handle /hooks/faceio {
		route {
			header X-Before yes
			request_body {
				max_size 1MB
			}
			respond @blocked 403
			biohook faceio {
				secret fc-token-0123456789
			}
			reverse_proxy `+up.addr()+`
		}
	}
	handle /api/* {
		reverse_proxy `+up.addr()+`
	}
	handle /hooks/argos/* {
		rewrite * /hooks/argos
		biohook argos {
			path_token argos-path-token-01
		}
		reverse_proxy `+up.addr()+`
	}
	handle /hooks/argos/special {
		biohook argos {
			path_token argos-path-token-02
		}
		reverse_proxy `+up.addr()+`
	}
	handle {
		respond "not a hook" 404
	}
}`)
	res, answer := post(t, tester, "/hooks/faceio", readFixture(t, "faceio", "auth.json"), faceioHeaders("fc-token-0123456789"))
	mustStatus(t, res, answer, http.StatusOK)
	caddytest.NewTester(t).InitServer(jsonConfig(`[
		{"match": [{"path": ["/api/*"]}], "handle": [{"handler": "static_response", "body": "api"}]},
		{"match": [{"host": ["other.example"]}], "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "`+up.addr()+`"}]}]},
		{"match": [{"host": ["localhost"], "path": ["/hooks/faceio"]}], "handle": [`+faceioHandler+`,
			{"handler": "reverse_proxy", "upstreams": [{"dial": "`+up.addr()+`"}]}]}
	]`), "json")
	res, answer = post(t, tester, "/hooks/faceio", readFixture(t, "faceio", "auth.json"), faceioHeaders("forged"))
	mustStatus(t, res, answer, http.StatusUnauthorized)
}
