package biohook

import (
	"encoding/json"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestEntrustRequireCreatedCaddyfile(t *testing.T) {
	for input, want := range map[string]string{
		"biohook entrust {\n secret s\n require_created\n}": `{"vendor":{"name":"entrust","require_created":true,"secrets":["s"]}}`,
		"biohook entrust {\n secret s\n}":                   `{"vendor":{"name":"entrust","secrets":["s"]}}`,
		"biohook entrust {\n require_created yes\n}":        "",
	} {
		h := new(Handler)
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input))
		if want == "" {
			if err == nil {
				t.Errorf("%q: want an error", input)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", input, err)
		}
		got, _ := json.Marshal(h)
		if !jsonEqual(t, got, []byte(want)) {
			t.Errorf("%q: got %s, want %s", input, got, want)
		}
	}
}
