package durable

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/internal/testutil"
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
			dur := new(Config)
			err := dur.UnmarshalCaddyfile(d)
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
			if !testutil.JSONEqual(t, got, []byte(c.want)) {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// record_key is read as a secret, repeatable: an error names the option,
// never the tokens, which could be the secret split at a space.
func TestUnmarshalRecordKey(t *testing.T) {
	d := caddyfile.NewTestDispenser("durable {\n record_key {env.A}\n record_key {env.B}\n }")
	d.Next()
	c := new(Config)
	if err := c.UnmarshalCaddyfile(d); err != nil || len(c.RecordKeys) != 2 || c.RecordKeys[1] != "{env.B}" {
		t.Fatalf("record keys %v, %v", c.RecordKeys, err)
	}
	d = caddyfile.NewTestDispenser("durable {\n record_key my secret-half\n }")
	d.Next()
	if err := new(Config).UnmarshalCaddyfile(d); err == nil || strings.Contains(err.Error(), "secret-half") {
		t.Errorf("two arguments: %v", err)
	}
}
