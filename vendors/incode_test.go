package vendors

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/golang-jwt/jwt/v5"
)

func init() {
	goldenVendors["incode"] = func(t testing.TB) Vendor {
		return provisioned(t, &Incode{Headers: StaticHeaders{"X-Incode-Key": {"incode-header-key-0123"}}})
	}
}

func testIncodeOAuth(t testing.TB, ttl time.Duration, secrets ...string) *Incode {
	return provisioned(t, &Incode{OAuth: &IncodeOAuth{
		ClientID: "incode-client", Secrets: secrets, TokenPath: "/hooks/incode/token", TokenTTL: caddy.Duration(ttl),
	}})
}

// tokenRequest asks in's token endpoint for a token and returns the answer.
func tokenRequest(t *testing.T, in *Incode, form url.Values, basicID, basicSecret string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "https://hooks.example.com/hooks/incode/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		r.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	w := httptest.NewRecorder()
	handled, err := in.ServeEndpoint(w, r)
	if !handled || err != nil {
		t.Fatalf("handled=%v err=%v", handled, err)
	}
	return w
}

func accessToken(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	body := w.Body.String()
	i := strings.Index(body, `"access_token":"`)
	if w.Code != 200 || i < 0 {
		t.Fatalf("no token: %d %s", w.Code, body)
	}
	rest := body[i+len(`"access_token":"`):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestIncodeTokenEndpoint(t *testing.T) {
	in := testIncodeOAuth(t, time.Hour, "incode-old-secret-01", "incode-new-secret-01")
	grant := url.Values{"grant_type": {"client_credentials"}}
	w := tokenRequest(t, in, grant, "incode-client", "incode-new-secret-01")
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" ||
		!strings.Contains(w.Body.String(), `"token_type":"Bearer","expires_in":3600`) {
		t.Fatalf("answer %d %v %s", w.Code, w.Header(), w.Body)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"incode-client"}, "client_secret": {"incode-old-secret-01"}}
	if w := tokenRequest(t, in, form, "", ""); w.Code != 200 {
		t.Fatalf("form credentials: %d %s", w.Code, w.Body)
	}
	cases := []struct {
		name       string
		form       url.Values
		id, secret string
		status     int
		code       string
	}{
		{"wrong secret", grant, "incode-client", "guess-the-secret-0123", 401, "invalid_client"},
		{"wrong client", grant, "someone", "incode-new-secret-01", 401, "invalid_client"},
		{"no credentials", grant, "", "", 401, "invalid_client"},
		{"other grant", url.Values{"grant_type": {"password"}}, "incode-client", "incode-new-secret-01", 400, "unsupported_grant_type"},
		{"no grant", url.Values{}, "incode-client", "incode-new-secret-01", 400, "invalid_request"},
		{"two grants", url.Values{"grant_type": {"client_credentials", "client_credentials"}}, "incode-client", "incode-new-secret-01", 400, "invalid_request"},
		{"basic and form secret", url.Values{"grant_type": {"client_credentials"}, "client_secret": {"incode-new-secret-01"}}, "incode-client", "incode-new-secret-01", 400, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := tokenRequest(t, in, c.form, c.id, c.secret)
			if w.Code != c.status || w.Body.String() != `{"error":"`+c.code+`"}` {
				t.Fatalf("got %d %s", w.Code, w.Body)
			}
			if c.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if strings.Contains(w.Body.String(), "secret") {
				t.Error("answer mentions the secret")
			}
		})
	}
}

// Incode's docs show Basic credentials sent as they are; RFC 6749 has them
// form-encoded first. A secret with '+', '%' or ':' works both ways, and
// the wrong one does in neither.
func TestIncodeBasicEncodings(t *testing.T) {
	const secret = "p+q%2F:r s-0123456789"
	in := testIncodeOAuth(t, time.Hour, secret)
	grant := url.Values{"grant_type": {"client_credentials"}}
	for _, c := range []struct {
		name, id, secret string
		status           int
	}{
		{"raw", "incode-client", secret, 200},
		{"form-encoded", url.QueryEscape("incode-client"), url.QueryEscape(secret), 200},
		{"raw, wrong", "incode-client", "p q%2F:r s-0123456789", 401},
		{"encoded, wrong", "incode-client", url.QueryEscape("p+q/:r s-0123456789"), 401},
		{"bad escape", "incode-client", "%zz", 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "https://hooks.example.com/hooks/incode/token", strings.NewReader(grant.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth(c.id, c.secret)
			w := httptest.NewRecorder()
			if handled, err := in.ServeEndpoint(w, r); !handled || err != nil {
				t.Fatalf("handled=%v err=%v", handled, err)
			}
			if w.Code != c.status {
				t.Fatalf("got %d %s", w.Code, w.Body)
			}
		})
	}
}

// The token endpoint answers only POSTs to its own path; any other path is
// left to the delivery handler.
func TestIncodeEndpointRouting(t *testing.T) {
	in := testIncodeOAuth(t, time.Hour, "incode-client-secret")
	w := httptest.NewRecorder()
	handled, _ := in.ServeEndpoint(w, httptest.NewRequest(http.MethodGet, "https://h/hooks/incode/token", nil))
	if !handled || w.Code != 405 || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET token path: handled=%v %d %v", handled, w.Code, w.Header())
	}
	for _, path := range []string{"/hooks/incode", "/hooks/incode/token/", "/hooks/incode/tokens"} {
		w := httptest.NewRecorder()
		if handled, _ := in.ServeEndpoint(w, httptest.NewRequest(http.MethodPost, "https://h"+path, nil)); handled || w.Body.Len() != 0 {
			t.Errorf("%s: handled=%v", path, handled)
		}
	}
	w = httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "https://h/hooks/incode/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
	r.Header.Set("Content-Type", "application/json")
	if handled, _ := in.ServeEndpoint(w, r); !handled || w.Code != 400 || w.Body.String() != `{"error":"invalid_request"}` {
		t.Errorf("JSON token request: %d %s", w.Code, w.Body)
	}
	if handled, _ := (&Incode{}).ServeEndpoint(httptest.NewRecorder(), r); handled {
		t.Error("a headers-only route served a token endpoint")
	}
}

// A token of another route (same secret, other token path) is refused as
// invalid even once it has expired: expired_token only ever names a token
// this route issued.
func TestIncodeOtherRouteExpired(t *testing.T) {
	in := testIncodeOAuth(t, time.Hour, "incode-client-secret")
	other := provisioned(t, &Incode{OAuth: &IncodeOAuth{ClientID: "incode-client", Secrets: []string{"incode-client-secret"}, TokenPath: "/other/token"}})
	token, err := other.OAuth.issue(time.Now().Add(-2 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	d := jsonDelivery([]byte(`{}`))
	d.Request.Header.Set("Authorization", "Bearer "+token)
	assertCode(t, other.Verify(d), "expired_token")
	assertCode(t, in.Verify(d), "invalid_token")
}

func TestIncodeBearer(t *testing.T) {
	in := testIncodeOAuth(t, time.Hour, "incode-old-secret-01", "incode-new-secret-01")
	token := accessToken(t, tokenRequest(t, in, url.Values{"grant_type": {"client_credentials"}}, "incode-client", "incode-old-secret-01"))
	other := testIncodeOAuth(t, time.Hour, "incode-another-secret-01")
	otherToken := accessToken(t, tokenRequest(t, other, url.Values{"grant_type": {"client_credentials"}}, "incode-client", "incode-another-secret-01"))
	otherRoute := provisioned(t, &Incode{OAuth: &IncodeOAuth{ClientID: "incode-client", Secrets: []string{"incode-old-secret-01"}, TokenPath: "/elsewhere/token"}})
	routeToken := accessToken(t, tokenRequest2(t, otherRoute))
	body := []byte(`{"overallStatus":"PASS"}`)
	for _, c := range []struct {
		name, header, code string
	}{
		{"issued here", "Bearer " + token, ""},
		{"scheme in lower case", "bearer " + token, ""},
		{"no header", "", "missing_token"},
		{"basic", "Basic abc", "invalid_token"},
		{"altered", "Bearer " + token[:len(token)-2] + "xx", "invalid_token"},
		{"issued with another secret", "Bearer " + otherToken, "invalid_token"},
		{"issued by another route", "Bearer " + routeToken, "invalid_token"},
		{"unsigned", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJiaW9ob29rIn0.", "invalid_token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := jsonDelivery(body)
			if c.header != "" {
				d.Request.Header.Set("Authorization", c.header)
			}
			assertCode(t, in.Verify(d), c.code)
		})
	}
}

func tokenRequest2(t *testing.T, in *Incode) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "https://hooks.example.com/elsewhere/token", strings.NewReader("grant_type=client_credentials"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth("incode-client", "incode-old-secret-01")
	w := httptest.NewRecorder()
	if handled, _ := in.ServeEndpoint(w, r); !handled {
		t.Fatal("not handled")
	}
	return w
}

func TestIncodeTokenExpires(t *testing.T) {
	in := testIncodeOAuth(t, time.Second, "incode-client-secret")
	token := accessToken(t, tokenRequest(t, in, url.Values{"grant_type": {"client_credentials"}}, "incode-client", "incode-client-secret"))
	time.Sleep(time.Second + tokenLeeway + 100*time.Millisecond)
	d := jsonDelivery([]byte(`{}`))
	d.Request.Header.Set("Authorization", "Bearer "+token)
	assertCode(t, in.Verify(d), "expired_token")
}

func TestIncodeHeaders(t *testing.T) {
	in := provisioned(t, &Incode{Headers: StaticHeaders{"X-Incode-Key": {"incode-key-one-0123", "incode-key-two-0123"}, "x-second": {"incode-second-header"}}})
	for _, c := range []struct {
		name    string
		headers map[string][]string
		code    string
	}{
		{"both", map[string][]string{"X-Incode-Key": {"incode-key-two-0123"}, "X-Second": {"incode-second-header"}}, ""},
		{"one missing", map[string][]string{"X-Incode-Key": {"incode-key-one-0123"}}, "missing_header"},
		{"wrong value", map[string][]string{"X-Incode-Key": {"incode-key-three-012"}, "X-Second": {"incode-second-header"}}, "header_mismatch"},
		{"twice", map[string][]string{"X-Incode-Key": {"incode-key-one-0123", "incode-key-one-0123"}, "X-Second": {"incode-second-header"}}, "duplicate_header"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := jsonDelivery([]byte(`{}`))
			for k, vs := range c.headers {
				for _, v := range vs {
					d.Request.Header.Add(k, v)
				}
			}
			assertCode(t, in.Verify(d), c.code)
		})
	}
	if got := strings.Join(in.CredentialHeaders(), ","); got != "X-Incode-Key,X-Second" {
		t.Errorf("CredentialHeaders %s", got)
	}
}

func TestIncodeProvisionRefuses(t *testing.T) {
	for name, in := range map[string]*Incode{
		"nothing":         {},
		"oauth no secret": {OAuth: &IncodeOAuth{ClientID: "c", TokenPath: "/t"}},
		"oauth no path":   {OAuth: &IncodeOAuth{ClientID: "c", Secrets: []string{"incode-client-secret"}}},
		"oauth no client": {OAuth: &IncodeOAuth{Secrets: []string{"incode-client-secret"}, TokenPath: "/t"}},
		"empty header":    {Headers: StaticHeaders{"X-A": {""}}},
	} {
		if err := in.Provision(testContext(t)); err == nil {
			t.Errorf("%s: started", name)
		}
	}
}

func TestIncodeAcknowledge(t *testing.T) {
	in := &Incode{}
	json := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	for _, c := range []struct {
		status  int
		header  http.Header
		replace bool
	}{
		{200, json, false},
		{204, nil, false},
		{200, http.Header{"Content-Type": {"text/plain"}}, true},
		{201, json, true},
		{202, nil, true},
		{500, nil, false},
		{404, nil, false},
	} {
		a, replace := in.Acknowledge(c.status, c.header)
		if replace != c.replace || (replace && (a.Status != 200 || a.ContentType != "application/json" || string(a.Body) != `{"success":true}`)) {
			t.Errorf("%d %v: %v %+v", c.status, c.header, replace, a)
		}
	}
}

// The seed's blacklisted sample has a trailing comma: it is refused as
// invalid JSON, never a 500.
func TestIncodeTrailingComma(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "testdata", "incode", "invalid", "auth_fail_blacklisted_trailing_comma.txt"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&Incode{}).Normalize(jsonDelivery(body))
	assertCode(t, err, "invalid_json")
}

func FuzzIncodeNormalize(f *testing.F) {
	body, _ := os.ReadFile(filepath.Join("..", "testdata", "incode", "invalid", "auth_fail_blacklisted_trailing_comma.txt"))
	f.Add(body)
	f.Add([]byte(`{"overallStatus":"PASS","recognitionConfidence":[1],"error":{"name":1}}`))
	f.Add([]byte(`{"onboardingStatus":"X","spoofConfidence":1e400}`))
	fuzzNormalize(f, "incode", &Incode{})
}

// FuzzIncodeToken feeds the token endpoint arbitrary forms and Basic
// credentials, and the bearer check arbitrary Authorization values. Nothing
// panics, every answer is an RFC 6749 one, and only the configured client
// gets a token, which then verifies.
func FuzzIncodeToken(f *testing.F) {
	f.Add("grant_type=client_credentials", "incode-client", "s+1-incode-secret-x", "Bearer x")
	f.Add("grant_type=client_credentials&client_id=incode-client&client_secret=s%2B1-incode-secret-x", "", "", "bearer eyJhbGciOiJIUzI1NiJ9.e30.")
	f.Add("grant_type=password&grant_type=x;%zz", "a:b", "%", "Basic Og==")
	f.Add("client_secret=&client_id=", "incode-client", "s 1-incode-secret-x", "Bearer eyJhbGciOiJub25lIn0.eyJleHAiOjF9.")
	in := testIncodeOAuth(f, time.Hour, "s+1-incode-secret-x")
	f.Fuzz(func(t *testing.T, form, id, secret, authorization string) {
		r := httptest.NewRequest(http.MethodPost, "https://h/hooks/incode/token", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if id != "" || secret != "" {
			r.SetBasicAuth(id, secret)
		}
		w := httptest.NewRecorder()
		if handled, err := in.ServeEndpoint(w, r); !handled || err != nil {
			t.Fatalf("handled=%v err=%v", handled, err)
		}
		switch w.Code {
		case 200:
			token := accessToken(t, w)
			d := jsonDelivery([]byte(`{}`))
			d.Request.Header.Set("Authorization", "Bearer "+token)
			if err := in.Verify(d); err != nil {
				t.Fatalf("issued token refused: %v", err)
			}
		case 400, 401:
			if !strings.HasPrefix(w.Body.String(), `{"error":"`) || strings.Contains(w.Body.String(), "s+1-incode-secret-x") {
				t.Fatalf("answer %d %s", w.Code, w.Body)
			}
		default:
			t.Fatalf("status %d", w.Code)
		}
		d := jsonDelivery([]byte(`{}`))
		d.Request.Header.Set("Authorization", authorization)
		err := in.Verify(d)
		if err == nil {
			t.Fatalf("accepted a token this route never issued: %q", authorization)
		}
		switch code := AsRejection(err).Code; code {
		case "missing_token", "duplicate_header", "invalid_token", "expired_token":
		default:
			t.Fatalf("reason %q for %q", code, authorization)
		}
	})
}

// BenchmarkIncodeBearer measures the per-delivery cost of the OAuth mode:
// parsing and verifying one HS256 token, and issuing one.
func BenchmarkIncodeBearer(b *testing.B) {
	in := testIncodeOAuth(b, time.Hour, "incode-old-secret-01", "incode-new-secret-01")
	token, err := in.OAuth.issue(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	h := http.Header{"Authorization": {"Bearer " + token}}
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := in.OAuth.checkBearer(h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("issue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := in.OAuth.issue(time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// signedToken signs claims with in's token key, as a route sharing its
// secret (or an older config of it) would.
func signedToken(t testing.TB, in *Incode, claims jwt.RegisteredClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(in.OAuth.keys[0])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A token whose exp lies further than token_ttl (and the leeway) after its
// iat, or after now, is refused, whoever signed it: it would outlive the
// lifetime this route now gives its tokens.
func TestIncodeTokenLifetimeBounded(t *testing.T) {
	in := testIncodeOAuth(t, 10*time.Minute, "incode-secret-0123456789")
	now := time.Now()
	claims := func(iat, exp time.Time) jwt.RegisteredClaims {
		c := jwt.RegisteredClaims{Issuer: "biohook", Subject: "incode-client", Audience: jwt.ClaimStrings{in.OAuth.audience}}
		if !iat.IsZero() {
			c.IssuedAt = jwt.NewNumericDate(iat)
		}
		if !exp.IsZero() {
			c.ExpiresAt = jwt.NewNumericDate(exp)
		}
		return c
	}
	longer := testIncodeOAuth(t, 24*time.Hour, "incode-secret-0123456789")
	older, err := longer.OAuth.issue(now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		token string
		code  string
	}{
		{"issued here", signedToken(t, in, claims(now, now.Add(10*time.Minute))), ""},
		{"within the leeway", signedToken(t, in, claims(now.Add(-time.Minute), now.Add(9*time.Minute+3*time.Second))), ""},
		{"issued under token_ttl 24h", older, "invalid_token"},
		{"exp a day after iat", signedToken(t, in, claims(now, now.Add(24*time.Hour))), "invalid_token"},
		{"exp 11m after iat, 5m ahead", signedToken(t, in, claims(now.Add(-6*time.Minute), now.Add(5*time.Minute))), "invalid_token"},
		{"iat in the past, exp a day ahead", signedToken(t, in, claims(now.Add(-24*time.Hour), now.Add(24*time.Hour))), "invalid_token"},
		{"no iat", signedToken(t, in, claims(time.Time{}, now.Add(5*time.Minute))), "invalid_token"},
		{"no exp", signedToken(t, in, claims(now, time.Time{})), "invalid_token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := jsonDelivery([]byte(`{}`))
			d.Request.Header.Set("Authorization", "Bearer "+c.token)
			assertCode(t, in.Verify(d), c.code)
		})
	}
}

// FuzzIncodeTokenLifetime signs tokens with any issue and expiry times (as
// offsets from now, in seconds) with the route's own key: one is accepted
// exactly when it is current and lives no longer than token_ttl.
func FuzzIncodeTokenLifetime(f *testing.F) {
	in := testIncodeOAuth(f, 10*time.Minute, "incode-secret-0123456789")
	ttl, leeway := int64(600), int64(tokenLeeway/time.Second)
	f.Add(int64(0), int64(600), true)
	f.Add(int64(-60), int64(86400), true)
	f.Add(int64(-3600), int64(60), true)
	f.Add(int64(0), int64(60), false)
	f.Add(int64(30), int64(600), true)
	f.Fuzz(func(t *testing.T, iat, exp int64, hasIat bool) {
		const far = 100 * 365 * 24 * 3600
		if iat < -far || iat > far || exp < -far || exp > far {
			return
		}
		near := func(a, b int64) bool { return a-b < 2 && b-a < 2 }
		if near(exp-iat, ttl+leeway) || near(exp, ttl+leeway) || near(exp, -leeway) || near(iat, leeway) {
			return // a second either way of a bound: the clock moves while the test runs
		}
		now := time.Now()
		c := jwt.RegisteredClaims{Issuer: "biohook", Subject: "incode-client", Audience: jwt.ClaimStrings{in.OAuth.audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Duration(exp) * time.Second))}
		if hasIat {
			c.IssuedAt = jwt.NewNumericDate(now.Add(time.Duration(iat) * time.Second))
		}
		d := jsonDelivery([]byte(`{}`))
		d.Request.Header.Set("Authorization", "Bearer "+signedToken(t, in, c))
		err := in.Verify(d)
		want := hasIat && exp-iat <= ttl+leeway && exp <= ttl+leeway && exp > -leeway && iat < leeway
		if (err == nil) != want {
			t.Fatalf("iat %+d (present %v), exp %+d: %v", iat, hasIat, exp, err)
		}
	})
}
