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
		Basic:  []BasicCredential{{"old-user", "old:pass-0123456789"}, {"new-user", "new-pass-0123456789"}},
		Bearer: []string{"token-one-0123456789", "token-two-0123456789"},
	})
	basicOnly := authChecked(t, AuthCredentials{Basic: []BasicCredential{{"u", "p-0123456789abcdef"}}})
	bearerOnly := authChecked(t, AuthCredentials{Bearer: []string{"t-0123456789abcdef"}})
	cases := []struct {
		name   string
		c      *authCheck
		header []string
		code   string
	}{
		{"basic, first pair (password with a colon)", &both, []string{basicHeader("old-user", "old:pass-0123456789")}, ""},
		{"basic, second pair", &both, []string{basicHeader("new-user", "new-pass-0123456789")}, ""},
		{"basic, scheme in lower case, extra spaces", &both, []string{"basic    " + strings.TrimPrefix(basicHeader("new-user", "new-pass-0123456789"), "Basic ") + " "}, ""},
		{"bearer, first token", &both, []string{"Bearer token-one-0123456789"}, ""},
		{"bearer, second token, upper case scheme", &both, []string{"BEARER token-two-0123456789"}, ""},
		{"no header", &both, nil, "missing_header"},
		{"two headers", &both, []string{"Bearer token-one-0123456789", "Bearer token-one-0123456789"}, "duplicate_header"},
		{"user of one pair, password of the other", &both, []string{basicHeader("old-user", "new-pass-0123456789")}, "credential_mismatch"},
		{"wrong password", &both, []string{basicHeader("new-user", "new-pasS-0123456789")}, "credential_mismatch"},
		{"empty password", &both, []string{basicHeader("new-user", "")}, "credential_mismatch"},
		{"wrong token", &both, []string{"Bearer token-three-0123456789"}, "credential_mismatch"},
		{"prefix of a token", &both, []string{"Bearer token-"}, "credential_mismatch"},
		{"token with a suffix", &both, []string{"Bearer token-one-01234567892"}, "credential_mismatch"},
		{"the basic pair as a bearer token", &both, []string{"Bearer new-user:new-pass-0123456789"}, "credential_mismatch"},
		{"the token as basic credentials", &both, []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("token-one-0123456789"))}, "malformed_credentials"},
		{"basic, not base64", &both, []string{"Basic !!!!"}, "malformed_credentials"},
		{"basic, nothing after the scheme", &both, []string{"Basic"}, "malformed_credentials"},
		{"basic, no colon", &both, []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("new-usernew-pass-0123456789"))}, "malformed_credentials"},
		{"bearer, no token", &both, []string{"Bearer "}, "malformed_credentials"},
		{"bare token, no scheme", &both, []string{"token-one-0123456789"}, "unsupported_scheme"},
		{"scheme glued to the token", &both, []string{"Bearertoken-one-0123456789"}, "unsupported_scheme"},
		{"digest scheme", &both, []string{`Digest username="new-user"`}, "unsupported_scheme"},
		{"bearer to a basic-only route", &basicOnly, []string{"Bearer t-0123456789abcdef"}, "unsupported_scheme"},
		{"basic to a bearer-only route", &bearerOnly, []string{basicHeader("u", "p-0123456789abcdef")}, "unsupported_scheme"},
		{"basic-only route", &basicOnly, []string{basicHeader("u", "p-0123456789abcdef")}, ""},
		{"bearer-only route", &bearerOnly, []string{"Bearer t-0123456789abcdef"}, ""},
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
	t.Setenv("BIOHOOK_TEST_AUTH_PASS", "env-pass-0123456789")
	t.Setenv("BIOHOOK_TEST_AUTH_EMPTY", "")
	c := authChecked(t, AuthCredentials{Basic: []BasicCredential{{"{env.BIOHOOK_TEST_AUTH_USER}", "{env.BIOHOOK_TEST_AUTH_PASS}"}}})
	assertCode(t, c.check(http.Header{"Authorization": {basicHeader("env-user", "env-pass-0123456789")}}), "")
	const password = "a-password-0123456789"
	bad := []struct {
		want string
		a    AuthCredentials
	}{
		{"test basic #1 user is empty", AuthCredentials{Basic: []BasicCredential{{"", password}}}},
		{"test basic #1 user is empty", AuthCredentials{Basic: []BasicCredential{{" \t", password}}}},
		{"test basic #2 password: evaluated placeholder {env.BIOHOOK_TEST_AUTH_EMPTY} is empty", AuthCredentials{Basic: []BasicCredential{{"u", password}, {"u", "{env.BIOHOOK_TEST_AUTH_EMPTY}"}}}},
		{"test basic #2 user: evaluated placeholder {env.BIOHOOK_TEST_AUTH_EMPTY} is empty", AuthCredentials{Basic: []BasicCredential{{"u", password}, {"{env.BIOHOOK_TEST_AUTH_EMPTY}", password}}}},
		{"test basic #1 user contains ':'", AuthCredentials{Basic: []BasicCredential{{"u:v", password}}}},
		{"BIOHOOK_TEST_AUTH_UNSET", AuthCredentials{Bearer: []string{"{env.BIOHOOK_TEST_AUTH_UNSET}"}}},
		{"test bearer token #2: evaluated placeholder", AuthCredentials{Bearer: []string{"t-0123456789abcdef", "{env.BIOHOOK_TEST_AUTH_EMPTY}"}}},
	}
	for _, c := range bad {
		if _, err := c.a.provision("test"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.a, err, c.want)
		}
	}
}

// A Basic user name is not a secret: a short one loads beside a password
// of 16 bytes or more. The password keeps the length rule, and so does a
// bearer token.
func TestAuthCredentialsShortUser(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_AUTH_USER", "env")
	for configured, user := range map[string]string{"u": "u", "yoti": "yoti", "{env.BIOHOOK_TEST_AUTH_USER}": "env"} {
		c := authChecked(t, AuthCredentials{Basic: []BasicCredential{{configured, "a-password-0123456789"}}})
		assertCode(t, c.check(http.Header{"Authorization": {basicHeader(user, "a-password-0123456789")}}), "")
	}
	short := []struct {
		want string
		a    AuthCredentials
	}{
		{"test basic #1 password is shorter than 16 bytes", AuthCredentials{Basic: []BasicCredential{{"a-long-user-name-0123", "pw"}}}},
		{"test basic #2 password is shorter than 16 bytes", AuthCredentials{Basic: []BasicCredential{{"u", "a-password-0123456789"}, {"u", "fifteen-bytes-x"}}}},
		{"test bearer token #1 is shorter than 16 bytes", AuthCredentials{Bearer: []string{"t"}}},
		{"test basic #1 password is shorter than 16 bytes", AuthCredentials{Basic: []BasicCredential{{"u", "  short-password  "}}}},
	}
	for _, c := range short {
		_, err := c.a.provision("test")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.a, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "pw") || strings.Contains(err.Error(), "short-password")) {
			t.Errorf("the refusal quotes the password: %v", err)
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
	pairs := []string{"user:pass-0123456789abcd", "yoti-user:p:a:ss-0123456789"}
	tokens := []string{"token-1-0123456789", "t-0123456789abcdef"}
	c, err := AuthCredentials{
		Basic:  []BasicCredential{{"user", "pass-0123456789abcd"}, {"yoti-user", "p:a:ss-0123456789"}},
		Bearer: tokens,
	}.provision("fuzz")
	if err != nil {
		f.Fatal(err)
	}
	// "user:pass-0123456789abcd" is 24 bytes: its base64 has no padding.
	b64 := base64.StdEncoding.EncodeToString([]byte(pairs[0]))
	for _, s := range []string{basicHeader("user", "pass-0123456789abcd"), "bearer token-1-0123456789", "Bearer\tt-0123456789abcdef", " BASIC  " + b64 + " ",
		"Basic " + b64 + "=", "Basic " + b64[:len(b64)-1], "Bearer", "Bearertoken-1-0123456789", "Basic\u00a0" + b64, "Baſic " + b64,
		"Bearer token-1-0123456789 ", "Bearer  token-1-0123456789", "Digest x", "", "Basic " + base64.RawStdEncoding.EncodeToString([]byte(pairs[0]))} {
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
