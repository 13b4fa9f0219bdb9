package biohook

import (
	"encoding/json"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// The handler's options and the vendor's mix in one block, as for every
// vendor: each IDV vendor's JSON is what its Caddyfile says.
func TestIDVUnmarshalCaddyfile(t *testing.T) {
	for input, want := range map[string]string{
		"biohook veriff {\n secret {env.V}\n api_key k\n dedupe\n}": `{"vendor":{"name":"veriff","secrets":["{env.V}"],"api_key":"k"},"dedupe":{}}`,
		"biohook onfido {\n max_size 64KiB\n secret s\n}":           `{"vendor":{"name":"onfido","secrets":["s"]},"max_size":65536}`,
		"biohook idenfy {\n secret s\n normalize off\n}":            `{"vendor":{"name":"idenfy","secrets":["s"]},"normalize":false}`,
		"biohook metamap {\n secret s\n source_ips 52.55.16.54\n}":  `{"vendor":{"name":"metamap","secrets":["s"]},"source_ips":["52.55.16.54"]}`,
		"biohook sumsub {\n algorithm sha1\n secret s\n}":           `{"vendor":{"name":"sumsub","secrets":["s"],"algorithm":"sha1"}}`,
		"biohook didit {\n secret s\n max_skew 2m\n}":               `{"vendor":{"name":"didit","secrets":["s"],"max_skew":120000000000}}`,
	} {
		h := new(Handler)
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
			t.Errorf("%q: %v", input, err)
			continue
		}
		got, _ := json.Marshal(h)
		if !jsonEqual(t, got, []byte(want)) {
			t.Errorf("%q:\n got  %s\n want %s", input, got, want)
		}
	}
}
