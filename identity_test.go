package biohook

import (
	"encoding/json"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// dedupe { name ... } names the route in its store.
func TestUnmarshalDedupeName(t *testing.T) {
	h := new(Handler)
	err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(`biohook entrust {
		secret s
		dedupe {
			name staging
			max_entries 500
		}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(h.Dedupe)
	if !jsonEqual(t, got, []byte(`{"name":"staging","max_entries":500}`)) {
		t.Errorf("got %s", got)
	}
	for _, bad := range []string{"dedupe {\n name\n }", "dedupe {\n name a b\n }"} {
		h := new(Handler)
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("biohook entrust {\n secret s\n " + bad + "\n}")); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
