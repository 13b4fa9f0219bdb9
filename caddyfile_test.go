package biohook

import (
	"encoding/json"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	cases := []struct {
		name, input string
		want        string // JSON of the handler; "" when parsing must fail
	}{
		{"faceio", `biohook faceio {
			secret {env.T}
			secret second
			app_id fio123
		}`, `{"vendor":{"app_id":"fio123","name":"faceio","secrets":["{env.T}","second"]}}`},
		{"common options anywhere in the block", `biohook entrust {
			max_size 64KiB
			secret s
			normalize off
			public_url https://hooks.example.com
			max_skew 2m
		}`, `{"vendor":{"max_skew":120000000000,"name":"entrust","public_url":"https://hooks.example.com","secrets":["s"]},"max_size":65536,"normalize":false}`},
		{"no block", `biohook faceio`, `{"vendor":{"name":"faceio"}}`},
		{"no vendor", `biohook`, ""},
		{"unknown vendor", `biohook acme { secret x }`, ""},
		{"unknown option", `biohook faceio {
			secrett x
		}`, ""},
		{"secret without value", `biohook faceio {
			secret
		}`, ""},
		{"bad size", `biohook faceio {
			max_size lots
		}`, ""},
		{"bad normalize", `biohook faceio {
			normalize maybe
		}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := new(Handler)
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(c.input))
			if c.want == "" {
				if err == nil {
					t.Fatalf("want an error, got %+v", h)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(h)
			if !jsonEqual(t, got, []byte(c.want)) {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}
