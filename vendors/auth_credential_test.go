package vendors

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func basicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func authChecked(t testing.TB, a AuthCredentials) authCheck {
	t.Helper()
	c, err := a.provision("test")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every refusal of the shared Authorization check has its own reason;
// rotation accepts each configured credential; the scheme is read without
// case, the credentials compared whole.
func TestAuthCredentialsCheck(t *testing.T) {
	both := authChecked(t, AuthCredentials{
		Basic:  []BasicCredential{{"old-user", "old:pass"}, {"new-user", "new-pass"}},
		Bearer: []string{"token-one", "token-two"},
	})
	basicOnly := authChecked(t, AuthCredentials{Basic: []BasicCredential{{"u", "p"}}})
	bearerOnly := authChecked(t, AuthCredentials{Bearer: []string{"t"}})
	cases := []struct {
		name   string
		c      *authCheck
		header []string
		code   string
	}{
		{"basic, first pair (password with a colon)", &both, []string{basicHeader("old-user", "old:pass")}, ""},
		{"basic, second pair", &both, []string{basicHeader("new-user", "new-pass")}, ""},
		{"basic, scheme in lower case, extra spaces", &both, []string{"basic    " + strings.TrimPrefix(basicHeader("new-user", "new-pass"), "Basic ") + " "}, ""},
		{"bearer, first token", &both, []string{"Bearer token-one"}, ""},
		{"bearer, second token, upper case scheme", &both, []string{"BEARER token-two"}, ""},
		{"no header", &both, nil, "missing_header"},
		{"two headers", &both, []string{"Bearer token-one", "Bearer token-one"}, "duplicate_header"},
		{"user of one pair, password of the other", &both, []string{basicHeader("old-user", "new-pass")}, "credential_mismatch"},
		{"wrong password", &both, []string{basicHeader("new-user", "new-pasS")}, "credential_mismatch"},
		{"empty password", &both, []string{basicHeader("new-user", "")}, "credential_mismatch"},
		{"wrong token", &both, []string{"Bearer token-three"}, "credential_mismatch"},
		{"prefix of a token", &both, []string{"Bearer token-"}, "credential_mismatch"},
		{"token with a suffix", &both, []string{"Bearer token-one2"}, "credential_mismatch"},
		{"the basic pair as a bearer token", &both, []string{"Bearer new-user:new-pass"}, "credential_mismatch"},
		{"the token as basic credentials", &both, []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("token-one"))}, "malformed_credentials"},
		{"basic, not base64", &both, []string{"Basic !!!!"}, "malformed_credentials"},
		{"basic, nothing after the scheme", &both, []string{"Basic"}, "malformed_credentials"},
		{"basic, no colon", &both, []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("new-usernew-pass"))}, "malformed_credentials"},
		{"bearer, no token", &both, []string{"Bearer "}, "malformed_credentials"},
		{"bare token, no scheme", &both, []string{"token-one"}, "unsupported_scheme"},
		{"scheme glued to the token", &both, []string{"Bearertoken-one"}, "unsupported_scheme"},
		{"digest scheme", &both, []string{`Digest username="new-user"`}, "unsupported_scheme"},
		{"bearer to a basic-only route", &basicOnly, []string{"Bearer t"}, "unsupported_scheme"},
		{"basic to a bearer-only route", &bearerOnly, []string{basicHeader("u", "p")}, "unsupported_scheme"},
		{"basic-only route", &basicOnly, []string{basicHeader("u", "p")}, ""},
		{"bearer-only route", &bearerOnly, []string{"Bearer t"}, ""},
		{"8 KiB of a token", &both, []string{"Bearer " + strings.Repeat("A", 8<<10)}, "credential_mismatch"},
		{"8 KiB of basic", &both, []string{"Basic " + strings.Repeat("QUFB", 2<<10)}, "malformed_credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range c.header {
				h.Add("Authorization", v)
			}
			err := c.c.check(h)
			assertCode(t, err, c.code)
			if err != nil && strings.Contains(err.Error(), "pass") {
				t.Fatalf("the refusal names a credential: %v", err)
			}
		})
	}
	off := authChecked(t, AuthCredentials{})
	if off.on() || off.check(http.Header{}) != nil {
		t.Fatal("an empty check must be off; the vendor refuses to start without one")
	}
}

// An accepted credential, Basic or Bearer, costs no allocation.
func TestAuthCredentialsCheckAllocations(t *testing.T) {
	c := authChecked(t, AuthCredentials{
		Basic:  []BasicCredential{{"yoti-notifications", "a-long-password-of-forty-characters-xyz1"}},
		Bearer: []string{"0f9a6c1e-4d2b-4a8e-9c3f-7b5d1e2a8c4f-and-some-more"},
	})
	for _, v := range []string{
		basicHeader("yoti-notifications", "a-long-password-of-forty-characters-xyz1"),
		"Bearer 0f9a6c1e-4d2b-4a8e-9c3f-7b5d1e2a8c4f-and-some-more",
	} {
		h := http.Header{"Authorization": {v}}
		if err := c.check(h); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = c.check(h) }); n != 0 {
			t.Errorf("%.12s...: %v allocations", v, n)
		}
	}
}

// Credentials resolve their placeholders; an empty or unset one, or a user
// with a colon, stops the config from loading, naming the setting only.
func TestAuthCredentialsProvision(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_AUTH_USER", "env-user")
	t.Setenv("BIOHOOK_TEST_AUTH_PASS", "env-pass")
	t.Setenv("BIOHOOK_TEST_AUTH_EMPTY", "")
	c := authChecked(t, AuthCredentials{Basic: []BasicCredential{{"{env.BIOHOOK_TEST_AUTH_USER}", "{env.BIOHOOK_TEST_AUTH_PASS}"}}})
	assertCode(t, c.check(http.Header{"Authorization": {basicHeader("env-user", "env-pass")}}), "")
	bad := map[string]AuthCredentials{
		"test basic #1 user is empty": {Basic: []BasicCredential{{"", "p"}}},
		"test basic #2 password: evaluated placeholder {env.BIOHOOK_TEST_AUTH_EMPTY} is empty": {Basic: []BasicCredential{{"u", "p"}, {"u", "{env.BIOHOOK_TEST_AUTH_EMPTY}"}}},
		"test basic #1 user contains ':'":             {Basic: []BasicCredential{{"u:v", "p"}}},
		"BIOHOOK_TEST_AUTH_UNSET":                     {Bearer: []string{"{env.BIOHOOK_TEST_AUTH_UNSET}"}},
		"test bearer token #2: evaluated placeholder": {Bearer: []string{"t", "{env.BIOHOOK_TEST_AUTH_EMPTY}"}},
	}
	for want, a := range bad {
		if _, err := a.provision("test"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v; want %q", a, err, want)
		}
	}
}

func TestAuthCredentialsCaddyfile(t *testing.T) {
	var a AuthCredentials
	d := caddyfile.NewTestDispenser("basic u p\nbearer t1\nbearer t2\nother x")
	for d.Next() {
		handled, err := a.unmarshalOption(d)
		if d.Val() == "other" {
			if handled {
				t.Fatal("other is not a credential option")
			}
			d.RemainingArgs()
			continue
		}
		if !handled || err != nil {
			t.Fatalf("%s: %v %v", d.Val(), handled, err)
		}
	}
	if len(a.Basic) != 1 || a.Basic[0] != (BasicCredential{"u", "p"}) || strings.Join(a.Bearer, ",") != "t1,t2" {
		t.Fatalf("%+v", a)
	}
	for _, bad := range []string{"basic u", "basic u p q", "bearer", "bearer a b"} {
		var a AuthCredentials
		d := caddyfile.NewTestDispenser(bad)
		d.Next()
		if _, err := a.unmarshalOption(d); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

func TestCutScheme(t *testing.T) {
	cases := map[string][2]string{
		"Bearer abc":     {"abc", "true"},
		"bearer\tabc ":   {"abc", "true"},
		" BEARER  abc":   {"abc", "true"},
		"Bearer":         {"", "true"},
		"Bearerabc":      {"", "false"},
		"Bear":           {"", "false"},
		"Basic abc":      {"", "false"},
		"Bearer a b":     {"a b", "true"},
		"":               {"", "false"},
		"B\u00e9arer ab": {"", "false"},
	}
	for in, want := range cases {
		got, ok := cutScheme(in, "Bearer")
		if got != want[0] || (ok != (want[1] == "true")) {
			t.Errorf("%q: %q %v; want %q %s", in, got, ok, want[0], want[1])
		}
	}
}

// FuzzAuthorization holds the Authorization check to a plain reference:
// the value, trimmed, is a scheme, white space and the credentials; Basic
// credentials are standard base64 of a configured "user:password", Bearer
// ones a configured token. The check accepts exactly what the reference
// does, and never panics.
func FuzzAuthorization(f *testing.F) {
	pairs := []string{"user:pass", "yoti-user:p:a:ss"}
	tokens := []string{"token-1", "t"}
	c, err := AuthCredentials{
		Basic:  []BasicCredential{{"user", "pass"}, {"yoti-user", "p:a:ss"}},
		Bearer: tokens,
	}.provision("fuzz")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{basicHeader("user", "pass"), "bearer token-1", "Bearer\tt", " BASIC  dXNlcjpwYXNz ",
		"Basic dXNlcjpwYXNz=", "Basic dXNlcjpwYXN", "Bearer", "Bearertoken-1", "Basic\u00a0dXNlcjpwYXNz", "Baſic dXNlcjpwYXNz",
		"Bearer token-1 ", "Bearer  token-1", "Digest x", "", "Basic " + base64.RawStdEncoding.EncodeToString([]byte("user:pass"))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := c.check(http.Header{"Authorization": {v}}) == nil
		want := false
		trimmed := strings.TrimSpace(v)
		if i := strings.IndexAny(trimmed, " \t"); i > 0 {
			scheme, rest := trimmed[:i], strings.TrimSpace(trimmed[i:])
			switch {
			case strings.EqualFold(scheme, "basic") && len(scheme) == 5:
				b, err := base64.StdEncoding.DecodeString(rest)
				want = err == nil && slices.Contains(pairs, string(b))
			case strings.EqualFold(scheme, "bearer") && len(scheme) == 6:
				want = slices.Contains(tokens, rest)
			}
		}
		if got != want {
			t.Fatalf("%q: check accepted=%v, reference %v", v, got, want)
		}
	})
}
