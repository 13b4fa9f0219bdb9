package vendors

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/biohook/caddy-biohook/verify"
)

// argosTestKey is the API key the encrypted fixtures under
// testdata/argos/{ecb,cbc,gcm} are encrypted with (key = SHA-256 of it).
const argosTestKey = "argos-test-api-key"

// argosModes are the encrypted fixture directories: the mode, and the
// encoding their ciphertexts are written in.
var argosModes = []struct {
	dir  string
	opts verify.CipherOptions
	enc  verify.CiphertextEncoding
}{
	{"ecb", verify.CipherOptions{Mode: verify.ModeECB}, verify.Base64},
	{"cbc", verify.CipherOptions{Mode: verify.ModeCBC}, verify.Hex},
	{"gcm", verify.CipherOptions{Mode: verify.ModeGCM}, verify.Base64URL},
}

func init() {
	goldenVendors["argos"] = func(t testing.TB) Vendor {
		return provisioned(t, &ARGOS{Headers: map[string][]string{"X-Argos-Token": {"argos-header-token-01"}}})
	}
	for _, m := range argosModes {
		goldenVendors["argos/"+m.dir] = func(t testing.TB) Vendor {
			return provisioned(t, &ARGOS{Secrets: []string{argosTestKey}, Mode: string(m.opts.Mode)})
		}
	}
}

// argosSeal encrypts plain as ARGOS's secure data transmission does.
func argosSeal(t testing.TB, opts verify.CipherOptions, enc verify.CiphertextEncoding, plain []byte) []byte {
	t.Helper()
	c, err := verify.NewPayloadCipher([]byte(argosTestKey), opts)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := c.Encrypt(plain, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]string{"data": verify.EncodeCiphertext(ct, enc)})
	if err != nil {
		t.Fatal(err)
	}
	return append(body, '\n')
}

// Every plaintext fixture has an encrypted twin in each mode directory that
// decrypts to exactly its bytes. With -update, missing or stale twins are
// written (this runs before TestGolden, which then writes their goldens).
func TestGoldenArgosCiphertexts(t *testing.T) {
	for _, m := range argosModes {
		v := provisioned(t, &ARGOS{Secrets: []string{argosTestKey}, Mode: string(m.opts.Mode)})
		for _, f := range fixtures(t, "argos") {
			plain, err := os.ReadFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(filepath.Dir(f.path), m.dir, filepath.Base(f.path))
			body, err := os.ReadFile(path)
			got, derr := v.decrypt(body)
			if err == nil && derr == nil && bytes.Equal(got, plain) {
				continue
			}
			if !*update {
				t.Errorf("%s does not decrypt to %s (run with -update): %v %v", path, f.path, err, derr)
				continue
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, argosSeal(t, m.opts, m.enc, plain), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// An encrypted delivery normalises to the very event its plaintext does:
// same id, same raw payload.
func TestArgosEncryptedEventsMatchPlaintext(t *testing.T) {
	for _, m := range argosModes {
		for _, f := range fixtures(t, "argos") {
			want, err := os.ReadFile(f.goldenPath())
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(filepath.Dir(f.path), m.dir, "golden", f.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s: encrypted golden differs from the plaintext one", m.dir, f.name)
			}
		}
	}
}

// argosRequest is a delivery to target whose original request URI, as Caddy
// records it before rewrites, is orig.
func argosRequest(body []byte, target, orig string) *Delivery {
	d := jsonDelivery(body)
	d.Request.URL, _ = url.Parse(target)
	if orig != "" {
		u, _ := url.Parse(orig)
		ctx := context.WithValue(d.Request.Context(), caddyhttp.OriginalRequestCtxKey, http.Request{URL: u, RequestURI: orig})
		d.Request = d.Request.WithContext(ctx)
	}
	return d
}

func TestARGOSVerifyHeadersAndPathToken(t *testing.T) {
	v := provisioned(t, &ARGOS{
		Headers:    map[string][]string{"x-argos-token": {"old-header-value", "new-header-value"}, "X-Tenant": {"acme-tenant-header"}},
		PathTokens: []string{"tok-A1-0123456789", "tok-B2-0123456789"},
	})
	body := []byte(`{"webhook_trigger":"approved"}`)
	good := func(h http.Header) {
		h.Set("X-Argos-Token", "new-header-value")
		h.Set("X-Tenant", "acme-tenant-header")
	}
	cases := []struct {
		name         string
		target, orig string
		header       func(http.Header)
		code         string
	}{
		{"all good", "/hooks/argos/tok-B2-0123456789", "", good, ""},
		{"other token and old value", "/hooks/argos/tok-A1-0123456789", "", func(h http.Header) { good(h); h.Set("X-Argos-Token", "old-header-value") }, ""},
		{"rewritten path, original has the token", "/hooks/argos", "/hooks/argos/tok-A1-0123456789?x=1", good, ""},
		{"rewritten path adds a token", "/hooks/argos/tok-A1-0123456789", "/hooks/argos", good, "path_token_mismatch"},
		{"no token segment", "/hooks/argos/", "", good, "missing_path_token"},
		{"wrong token", "/hooks/argos/tok-A2-0123456789", "", good, "path_token_mismatch"},
		{"token prefix", "/hooks/argos/tok-", "", good, "path_token_mismatch"},
		{"token in query only", "/hooks/argos?t=tok-A1-0123456789", "", good, "path_token_mismatch"},
		{"missing header", "/hooks/argos/tok-A1-0123456789", "", func(h http.Header) { good(h); h.Del("X-Tenant") }, "missing_header"},
		{"header twice", "/hooks/argos/tok-A1-0123456789", "", func(h http.Header) { good(h); h.Add("X-Tenant", "acme-tenant-header") }, "duplicate_header"},
		{"wrong header", "/hooks/argos/tok-A1-0123456789", "", func(h http.Header) { good(h); h.Set("X-Argos-Token", "new-header-valuE") }, "header_mismatch"},
		{"empty header", "/hooks/argos/tok-A1-0123456789", "", func(h http.Header) { good(h); h.Set("X-Argos-Token", "") }, "header_mismatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := argosRequest(body, c.target, c.orig)
			c.header(d.Request.Header)
			assertCode(t, v.Verify(d), c.code)
		})
	}
}

func TestARGOSVerifyDecryption(t *testing.T) {
	ecb := verify.CipherOptions{Mode: verify.ModeECB}
	v := provisioned(t, &ARGOS{Secrets: []string{"retired-argos-api-key", argosTestKey}, Mode: "ecb"})
	plain := []byte(`{"webhook_trigger":"approved","userid":"u1"}`)
	sealed := argosSeal(t, ecb, verify.Base64, plain)
	ct := func(body []byte) string {
		var env struct{ Data string }
		if err := json.Unmarshal(body, &env, json.MatchCaseInsensitiveNames(true)); err != nil {
			t.Fatal(err)
		}
		return env.Data
	}(sealed)
	raw, _ := verify.DecodeCiphertext(ct)
	other, _ := verify.NewPayloadCipher([]byte("someone-else-api-key"), ecb)
	garbage, _ := other.Encrypt(plain, rand.Reader)
	envelope := func(s string) []byte { return []byte(`{"data":"` + s + `"}`) }
	cases := []struct {
		name string
		body []byte
		code string
	}{
		{"second key of a rotation", sealed, ""},
		{"hex", envelope(verify.EncodeCiphertext(raw, verify.Hex)), ""},
		{"base64url", envelope(verify.EncodeCiphertext(raw, verify.Base64URL)), ""},
		{"plaintext delivery", plain, "plaintext_refused"},
		{"data is an object", []byte(`{"webhook_trigger":"faceAuth","data":{"Auth_Status":"approved"}}`), "plaintext_refused"},
		{"data is a number", []byte(`{"data":12}`), "plaintext_refused"},
		{"data is null", []byte(`{"data":null}`), "plaintext_refused"},
		{"no data", []byte(`{}`), "plaintext_refused"},
		{"not json", []byte(`{"data":"`), "invalid_json"},
		{"json array", []byte(`["data"]`), "invalid_json"},
		{"empty body", nil, "invalid_json"},
		{"not base64 or hex", envelope("!!!"), "decryption_failed"},
		{"empty ciphertext", envelope(""), "decryption_failed"},
		{"truncated", envelope(verify.EncodeCiphertext(raw[:16], verify.Base64)), "decryption_failed"},
		{"not block aligned", envelope(verify.EncodeCiphertext(raw[:len(raw)-5], verify.Base64)), "decryption_failed"},
		{"another key", envelope(verify.EncodeCiphertext(garbage, verify.Base64)), "decryption_failed"},
		{"decrypts to text", argosSeal(t, ecb, verify.Base64, []byte("approved, honest")), "decryption_failed"},
		{"decrypts to an array", argosSeal(t, ecb, verify.Base64, []byte(`["x"]`)), "decryption_failed"},
		{"decrypts to bad utf-8", argosSeal(t, ecb, verify.Base64, []byte("{\"a\":\"\xff\"}")), "decryption_failed"},
		{"decrypts to duplicate keys", argosSeal(t, ecb, verify.Base64, []byte(`{"a":1,"a":2}`)), "decryption_failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := jsonDelivery(c.body)
			err := v.Verify(d)
			assertCode(t, err, c.code)
			if err == nil && !bytes.Equal(d.Scratch.(argosPlaintext), plain) {
				t.Fatalf("scratch holds %q", d.Scratch)
			}
		})
	}
}

func TestARGOSNormalizeBadInput(t *testing.T) {
	plainRoute := provisioned(t, &ARGOS{PathTokens: []string{"argos-path-token-0123"}})
	cases := []struct {
		name string
		body string
		code string
	}{
		{"missing trigger", `{"submission_id":"s1"}`, "missing_trigger"},
		{"empty trigger", `{"webhook_trigger":""}`, "missing_trigger"},
		{"trigger not a string", `{"webhook_trigger":{"x":1}}`, "missing_trigger"},
		{"faceAuth data not an object", `{"webhook_trigger":"faceAuth","data":"abc"}`, "invalid_payload"},
		{"kyc_result not an object", `{"webhook_trigger":"approved","kyc_result":"approved"}`, "invalid_payload"},
		{"kyc_result field of a bad type", `{"webhook_trigger":"approved","kyc_result":{"status":{"a":1}}}`, ""},
		{"not json", `{"webhook_trigger":"approved"`, "invalid_json"},
		{"duplicate key", `{"webhook_trigger":"approved","webhook_trigger":"rejected"}`, "invalid_json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := plainRoute.Normalize(jsonDelivery([]byte(c.body)))
			assertCode(t, err, c.code)
		})
	}
	t.Run("encrypted, missing trigger", func(t *testing.T) {
		v := provisioned(t, &ARGOS{Secrets: []string{argosTestKey}, Mode: "ecb"})
		d := jsonDelivery(argosSeal(t, verify.CipherOptions{Mode: verify.ModeECB}, verify.Base64, []byte(`{"submission_id":"s1"}`)))
		assertCode(t, v.Verify(d), "")
		_, err := v.Normalize(d)
		assertCode(t, err, "missing_trigger")
	})
}

// The id is stable across retries, including a CBC or GCM retry that
// re-encrypts with a fresh IV, and differs between distinct events.
func TestARGOSEventID(t *testing.T) {
	gcm := verify.CipherOptions{Mode: verify.ModeGCM}
	v := provisioned(t, &ARGOS{Secrets: []string{argosTestKey}, Mode: "gcm"})
	id := func(body []byte) string {
		t.Helper()
		d := jsonDelivery(body)
		if err := v.Verify(d); err != nil {
			t.Fatal(err)
		}
		ev, err := v.Normalize(d)
		if err != nil {
			t.Fatal(err)
		}
		return ev.ID
	}
	first := []byte(`{"webhook_trigger":"updated","submission_id":"s1","kyc_result":{"updated_at":"2026-03-17 10:00:00"}}`)
	second := []byte(`{"webhook_trigger":"updated","submission_id":"s1","kyc_result":{"updated_at":"2026-03-17 10:05:00"}}`)
	a, b := argosSeal(t, gcm, verify.Base64, first), argosSeal(t, gcm, verify.Base64, first)
	if bytes.Equal(a, b) {
		t.Fatal("GCM ciphertexts should differ")
	}
	if id(a) != id(b) {
		t.Error("a retry got another id")
	}
	if id(a) == id(argosSeal(t, gcm, verify.Base64, second)) {
		t.Error("two updates of one submission share an id")
	}
	if id(a) != DerivedID("argos", first) {
		t.Error("the id is not derived from the plaintext")
	}
	fa := []byte(`{"webhook_trigger":"faceAuth","data":{"Authentication_id":"auth-9","Auth_Status":"approved"}}`)
	if got := id(argosSeal(t, gcm, verify.Hex, fa)); got != "auth-9" {
		t.Errorf("faceAuth id %q", got)
	}
}

func TestARGOSProvisionRefuses(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_ARGOS_EMPTY", "")
	cases := map[string]*ARGOS{
		"no check at all":        {},
		"only a mode":            {Mode: "ecb"},
		"empty secret":           {Secrets: []string{"{env.BIOHOOK_TEST_ARGOS_EMPTY}"}},
		"unset variable":         {PathTokens: []string{"{env.BIOHOOK_TEST_ARGOS_UNSET}"}},
		"empty header value":     {Headers: map[string][]string{"X-Token": {""}}},
		"header without a value": {Headers: map[string][]string{"X-Token": nil}},
		"token with a slash":     {PathTokens: []string{"argos-path/token-0123"}},
		"unknown mode":           {Secrets: []string{argosTestKey}, Mode: "ctr"},
		"unknown cbc iv":         {Secrets: []string{argosTestKey}, Mode: "cbc", CBCIV: "random"},
		"short gcm nonce":        {Secrets: []string{argosTestKey}, Mode: "gcm", GCMNonceSize: 8},
		"secret without a mode":  {Secrets: []string{argosTestKey}},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			if err := v.Provision(testContext(t)); err == nil {
				t.Fatal("provisioned")
			}
		})
	}
	if err := (&ARGOS{}).Provision(testContext(t)); err == nil || !strings.Contains(err.Error(), "signs nothing") {
		t.Errorf("the error should say why: %v", err)
	}
	invalid := map[string]*ARGOS{
		"mode without secret":         {PathTokens: []string{"argos-path-token-0123"}, Mode: "gcm"},
		"cbc_iv with ecb":             {Secrets: []string{argosTestKey}, Mode: "ecb", CBCIV: "zero"},
		"gcm_layout with cbc":         {Secrets: []string{argosTestKey}, Mode: "cbc", GCMLayout: "nonce_tag_ciphertext"},
		"header name with a colon":    {Headers: map[string][]string{"X-A:": {"v"}}},
		"one header in two spellings": {Headers: map[string][]string{"x-a": {"v"}, "X-A": {"w"}}},
	}
	for name, v := range invalid {
		if err := v.Validate(); err == nil {
			t.Errorf("%s: validated", name)
		}
	}
}

func TestARGOSCaddyfile(t *testing.T) {
	d := caddyfile.NewTestDispenser(`argos {
		secret {env.ARGOS_KEY}
		secret {env.ARGOS_OLD_KEY}
		mode gcm
		gcm_layout nonce_tag_ciphertext
		gcm_nonce_size 16
		header x-argos-token {env.ARGOS_HEADER}
		header X-Argos-Token {env.ARGOS_HEADER_OLD}
		path_token {env.ARGOS_PATH}
	}`)
	var v ARGOS
	if err := v.UnmarshalCaddyfile(d); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(v, json.Deterministic(true))
	want := `{"secrets":["{env.ARGOS_KEY}","{env.ARGOS_OLD_KEY}"],"mode":"gcm","gcm_layout":"nonce_tag_ciphertext",` +
		`"gcm_nonce_size":16,"headers":{"X-Argos-Token":["{env.ARGOS_HEADER}","{env.ARGOS_HEADER_OLD}"]},"path_tokens":["{env.ARGOS_PATH}"]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for _, bad := range []string{
		"argos {\n header X-A\n}",
		"argos {\n header X-A b c\n}",
		"argos {\n secret\n}",
		"argos {\n gcm_nonce_size twelve\n}",
		"argos {\n allow 10.0.0.0/8\n}",
	} {
		var v ARGOS
		if err := v.UnmarshalCaddyfile(caddyfile.NewTestDispenser(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestARGOSCredentialHeaders(t *testing.T) {
	v := provisioned(t, &ARGOS{Headers: map[string][]string{"x-b": {"header-value-b-0123"}, "X-A": {"header-value-a-0123"}}})
	if got := strings.Join(v.CredentialHeaders(), ","); got != "X-A,X-B" {
		t.Errorf("got %s", got)
	}
}

// FuzzARGOS sends arbitrary bodies through an encrypting route and a
// plaintext one: nothing panics, every refusal is a 4xx rejection, and every
// accepted delivery becomes an event whose raw field is the plaintext.
func FuzzARGOS(f *testing.F) {
	for _, dir := range []string{"", "ecb"} {
		paths, _ := filepath.Glob(filepath.Join("..", "testdata", "argos", dir, "*.json"))
		for _, p := range paths {
			b, _ := os.ReadFile(p)
			f.Add(b)
		}
	}
	f.Add([]byte(`{"data":"AAAA"}`))
	f.Add([]byte(`{"data":12}`))
	routes := []*ARGOS{
		provisioned(f, &ARGOS{Secrets: []string{argosTestKey}, Mode: "ecb"}),
		provisioned(f, &ARGOS{PathTokens: []string{"argos-path-token-0123"}}),
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range routes {
			d := argosRequest(body, "/hooks/argos", "")
			ev, err := argosProcess(v, d)
			if err != nil {
				if rej := AsRejection(err); rej.Status < 400 || rej.Status > 499 {
					t.Fatalf("status %d: %v", rej.Status, err)
				}
				continue
			}
			out, err := ev.Encode()
			if err != nil || !jsontext.Value(out).IsValid() {
				t.Fatalf("event does not encode: %v", err)
			}
			if ev.ID == "" || ev.Data.VendorEvent == "" {
				t.Fatalf("incomplete event: %s", out)
			}
		}
	})
}

func argosProcess(v *ARGOS, d *Delivery) (*Event, error) {
	if err := v.Verify(d); err != nil {
		return nil, err
	}
	return v.Normalize(d)
}
