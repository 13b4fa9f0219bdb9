package dedupe

import (
	"strings"
	"testing"
)

// A route's derived identity does not change when its secrets rotate, nor
// with the spacing or order of its settings; it does when another setting
// differs, and it never holds a secret.
func TestDerivedIdentity(t *testing.T) {
	id := func(raw string) string {
		t.Helper()
		s, err := derivedIdentity("hmac", []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := id(`{"name":"hmac","header":"X-Sig","secrets":["old-secret"]}`)
	if !strings.HasPrefix(base, "hmac#") || len(base) != len("hmac#")+16 {
		t.Fatalf("identity %q", base)
	}
	for _, same := range []string{
		`{"name":"hmac","header":"X-Sig","secrets":["old-secret","new-secret"]}`,
		`{"secrets":["new-secret"], "header":"X-Sig",  "name":"hmac"}`,
	} {
		if got := id(same); got != base {
			t.Errorf("%s: %s, want %s", same, got, base)
		}
	}
	for _, other := range []string{
		`{"name":"hmac","header":"X-Other","secrets":["old-secret"]}`,
		`{"name":"hmac","vendor_name":"veriff","header":"X-Sig","secrets":["old-secret"]}`,
	} {
		if got := id(other); got == base {
			t.Errorf("%s: same identity as the base", other)
		}
	}
	// Header names count, their values (the credentials) do not; nested
	// credentials (Incode's oauth) are left out too.
	incode := func(raw string) string { s, _ := derivedIdentity("incode", []byte(raw)); return s }
	if incode(`{"headers":{"X-Key":["a"]},"oauth":{"client_id":"c","secrets":["s1"]}}`) !=
		incode(`{"headers":{"X-Key":["b","c"]},"oauth":{"client_id":"c","secrets":["s2"]}}`) {
		t.Error("a rotation of header values or oauth secrets changed the identity")
	}
	// The Authorization credentials of Yoti and Socure and Veriff's API key
	// rotate as secrets do.
	yoti := func(raw string) string { s, _ := derivedIdentity("yoti", []byte(raw)); return s }
	if yoti(`{"bearer":["token-one-0123456789"],"basic":[{"user":"u","password":"p-0123456789abcdef"}]}`) !=
		yoti(`{"bearer":["token-two-0123456789","token-one-0123456789"]}`) {
		t.Error("a rotation of Authorization credentials changed the identity")
	}
	veriff := func(raw string) string { s, _ := derivedIdentity("veriff", []byte(raw)); return s }
	if veriff(`{"secrets":["a"],"api_key":"key-one"}`) != veriff(`{"secrets":["b"],"api_key":"key-two"}`) {
		t.Error("a new Veriff API key changed the identity")
	}
	if incode(`{"headers":{"X-Key":["a"]}}`) == incode(`{"headers":{"X-Other":["a"]}}`) {
		t.Error("header names do not count")
	}
	if _, err := derivedIdentity("hmac", []byte(`{`)); err == nil {
		t.Error("broken settings were accepted")
	}
}

// A route's name is part of its store keys and log lines: letters, digits,
// '.', '_' and '-', up to 64, starting with a letter or digit.
func TestRouteNameValidated(t *testing.T) {
	for name, ok := range map[string]bool{"staging": true, "tenant_a.prod-2": true, " ": false, "-x": false,
		"has space": false, "a/b": false, strings.Repeat("n", 65): false} {
		c := &Config{Name: name}
		c.setDefaults()
		if err := c.Validate(0); (err == nil) != ok {
			t.Errorf("name %q: %v", name, err)
		}
	}
}
