package integration

import (
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// Settings that cannot work refuse to load, with the reason.
func TestDurableConfigRefused(t *testing.T) {
	cases := map[string]struct{ options, reason string }{
		"with dedupe":             {"dedupe\n durable", "drop dedupe"},
		"remember under max_skew": {"max_skew 10m\n durable {\n remember 1m\n }", "shorter than the vendor's max_skew"},
		"max below base":          {"durable {\n retry exponential 10s 1s\n }", "durable retry: want 0"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			config := globals + `
:9080 {
	biohook entrust {
		secret durable-entrust-token
		` + c.options + `
	}
	respond 200
}`
			caddytest.AssertLoadError(t, config, "caddyfile", c.reason)
		})
	}
}

// Two durable routes of one vendor on one spool need names to be told apart.
func TestDurableRoutesSharingASpoolNeedNames(t *testing.T) {
	spool := "spool bolt " + t.TempDir() + "/spool.db"
	route := func(path, name string) string {
		return `handle ` + path + ` {
		biohook entrust {
			secret durable-entrust-token
			durable {
				` + spool + `
				` + name + `
			}
		}
		respond 200
	}
	`
	}
	config := globals + ":9080 {\n" + route("/a", "") + route("/b", "") + "}"
	caddytest.AssertLoadError(t, config, "caddyfile", "give each a name")
	named := globals + ":9080 {\n" + route("/a", "name a") + route("/b", "name b") + "}"
	caddytest.NewTester(t).InitServer(named, "caddyfile") // fails the test if the config does not load
}
