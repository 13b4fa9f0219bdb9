package vendors

import (
	"reflect"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// The six vendors' Caddyfile blocks: what each option sets, and that an
// unknown option, a missing or extra argument, or a bad value is refused.
func TestIDVCaddyfile(t *testing.T) {
	good := []struct {
		input string
		into  caddyfile.Unmarshaler
		want  any
	}{
		{"veriff {\n secret a\n secret b\n api_key k\n}", new(Veriff), &Veriff{Secrets: []string{"a", "b"}, APIKey: "k"}},
		{"veriff", new(Veriff), &Veriff{}},
		{"onfido {\n secret {env.X}\n}", new(Onfido), &Onfido{Secrets: []string{"{env.X}"}}},
		{"idenfy {\n secret a\n}", new(IDenfy), &IDenfy{Secrets: []string{"a"}}},
		{"metamap {\n secret a\n}", new(MetaMap), &MetaMap{Secrets: []string{"a"}}},
		{"sumsub {\n secret a\n algorithm sha512\n}", new(Sumsub), &Sumsub{Secrets: []string{"a"}, Algorithm: "sha512"}},
		{"didit {\n secret a\n max_skew 90s\n}", new(Didit), &Didit{Secrets: []string{"a"}, MaxSkew: caddy.Duration(90 * time.Second)}},
	}
	for _, c := range good {
		if err := c.into.UnmarshalCaddyfile(caddyfile.NewTestDispenser(c.input)); err != nil {
			t.Errorf("%q: %v", c.input, err)
			continue
		}
		if !reflect.DeepEqual(c.into, c.want) {
			t.Errorf("%q: got %+v, want %+v", c.input, c.into, c.want)
		}
	}
	bad := map[string]caddyfile.Unmarshaler{
		"veriff {\n header X-Other\n}":       new(Veriff),
		"veriff {\n api_key\n}":              new(Veriff),
		"veriff {\n secret a b\n}":           new(Veriff),
		"onfido {\n algorithm sha512\n}":     new(Onfido),
		"idenfy {\n secret\n}":               new(IDenfy),
		"metamap {\n prefix sha256=\n}":      new(MetaMap),
		"sumsub {\n algorithm\n}":            new(Sumsub),
		"sumsub {\n algorithm sha384\n}":     new(Sumsub),
		"sumsub {\n encoding base64\n}":      new(Sumsub),
		"didit {\n max_skew soon\n}":         new(Didit),
		"didit {\n max_skew 1m 2m\n}":        new(Didit),
		"didit {\n header X-Signature-V2\n}": new(Didit),
	}
	for input, into := range bad {
		if err := into.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err == nil {
			t.Errorf("%q was accepted", input)
		}
	}
}
