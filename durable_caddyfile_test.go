package biohook

import (
	"encoding/json"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddytest"
)

func TestUnmarshalDurable(t *testing.T) {
	cases := []struct {
		name, input string
		want        string // JSON of the durable block; "" when parsing must fail
	}{
		{"defaults", `durable`, `{}`},
		{"every option", `durable {
			spool bolt /var/lib/caddy/biohook.db
			retry exponential 2s 10m
			max_age 48h
			attempts 20
			attempt_timeout 10s
			concurrency 4
			key {biohook.event.subject}
			keep_dead 24h
			remember 96h
			name tenant-a
		}`, `{"spool":"bolt","path":"/var/lib/caddy/biohook.db","retry":{"base":2000000000,"max":600000000000},
			"max_age":172800000000000,"max_attempts":20,"attempt_timeout":10000000000,"concurrency":4,
			"key":"{biohook.event.subject}","keep_dead":86400000000000,"remember":345600000000000,"name":"tenant-a"}`},
		{"bolt block", `durable {
			spool bolt {
				path /data/spool.db
			}
		}`, `{"spool":"bolt","path":"/data/spool.db"}`},
		{"schedule", `durable {
			retry schedule 5s 5m 30m
		}`, `{"retry":{"schedule":[5000000000,300000000000,1800000000000]}}`},
		{"redis url", `durable {
			spool redis redis://127.0.0.1:6379/2
			key_prefix hooks:
		}`, `{"spool":"redis","redis":{"url":"redis://127.0.0.1:6379/2"},"key_prefix":"hooks:"}`},
		{"redis block", `durable {
			spool redis {
				address 10.0.0.5:6379
				password {env.REDIS_PASSWORD}
				tls
			}
		}`, `{"spool":"redis","redis":{"address":"10.0.0.5:6379","password":"{env.REDIS_PASSWORD}","tls":true}}`},
		{"unknown spool", `durable {
			spool sqlite
		}`, ""},
		{"unknown option", `durable {
			retries 5
		}`, ""},
		{"exponential needs two", `durable {
			retry exponential 1s
		}`, ""},
		{"empty schedule", `durable {
			retry schedule
		}`, ""},
		{"bad wait", `durable {
			retry schedule soon
		}`, ""},
		{"zero concurrency", `durable {
			concurrency 0
		}`, ""},
		{"argument on the line", `durable now`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := caddyfile.NewTestDispenser(c.input)
			d.Next()
			dur := new(Durable)
			err := dur.unmarshalCaddyfile(d)
			if c.want == "" {
				if err == nil {
					t.Fatalf("want an error, got %+v", dur)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(dur)
			if !jsonEqual(t, got, []byte(c.want)) {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

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
