package vendors

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

func init() {
	goldenVendors["authenteq"] = func(t testing.TB) Vendor { return testAuthenteq(t) }
}

func testAuthenteq(t testing.TB, opts ...func(*Authenteq)) *Authenteq {
	a := &Authenteq{ClientID: authenteqTestClientID, Secrets: []string{authenteqTestSecret}}
	for _, o := range opts {
		o(a)
	}
	return provisioned(t, a)
}

// readHTTP reads a raw request kept as a fixture into a Delivery.
func readHTTP(t testing.TB, raw []byte) *Delivery {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	if _, err := body.ReadFrom(r.Body); err != nil {
		t.Fatal(err)
	}
	return &Delivery{Request: r, Body: body.Bytes()}
}

// The fixtures on disk are the ones the builders make, so each is correctly
// signed; -update rewrites them.
func TestAuthenteqFixtures(t *testing.T) {
	dir := filepath.Join("..", "testdata", "authenteq")
	for name, raw := range authenteqFixtures() {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(got, raw) {
			t.Errorf("%s differs from what its builder makes (run with -update)", name)
		}
	}
}

// Every good fixture verifies and normalises with the images intact.
func TestAuthenteqFixturesVerify(t *testing.T) {
	a := testAuthenteq(t)
	for _, f := range fixtures(t, "authenteq") {
		d := f.delivery(t)
		if err := a.Verify(d); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		ev, err := a.Normalize(d)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if len(ev.Data.Images) < 2 || ev.Data.Kind != KindVerification || ev.Type != TypeIdentityVerification {
			t.Errorf("%s: %d images, kind %q, type %q", f.name, len(ev.Data.Images), ev.Data.Kind, ev.Type)
		}
	}
}

func TestAuthenteqVerify(t *testing.T) {
	form := testForm{boundary: authenteqTestBoundary,
		parts: append([]testPart{resultPart(authenteqPassport)}, authenteqRequiredImages("verify")...)}
	body := form.body()
	sig := func(digest, secret string) string { return authenteqSign(digest, body, secret) }
	tampered := bytes.Clone(body)
	tampered[len(tampered)/2] ^= 1
	cases := []struct {
		name     string
		digest   string
		clientID []string
		sig      []string
		body     []byte
		code     string
	}{
		{"old secret", "", []string{authenteqTestClientID}, []string{sig("body_secret", "authenteq-old-secret")}, body, ""},
		{"new secret", "", []string{authenteqTestClientID}, []string{sig("body_secret", "authenteq-new-secret")}, body, ""},
		{"upper-case hex", "", []string{authenteqTestClientID}, []string{strings.ToUpper(sig("body_secret", "authenteq-new-secret"))}, body, ""},
		{"surrounding space", "", []string{authenteqTestClientID}, []string{" " + sig("body_secret", "authenteq-new-secret") + " "}, body, ""},
		{"secret_body", "secret_body", []string{authenteqTestClientID}, []string{sig("secret_body", "authenteq-old-secret")}, body, ""},
		{"hmac", "hmac", []string{authenteqTestClientID}, []string{sig("hmac", "authenteq-new-secret")}, body, ""},
		{"body_secret sig on secret_body route", "secret_body", []string{authenteqTestClientID}, []string{sig("body_secret", "authenteq-old-secret")}, body, "signature_mismatch"},
		{"secret_body sig on default route", "", []string{authenteqTestClientID}, []string{sig("secret_body", "authenteq-old-secret")}, body, "signature_mismatch"},
		{"hmac sig on default route", "", []string{authenteqTestClientID}, []string{sig("hmac", "authenteq-old-secret")}, body, "signature_mismatch"},
		{"unknown secret", "", []string{authenteqTestClientID}, []string{sig("body_secret", "authenteq-other-secret")}, body, "signature_mismatch"},
		{"tampered body", "", []string{authenteqTestClientID}, []string{sig("body_secret", "authenteq-new-secret")}, tampered, "signature_mismatch"},
		{"no client id", "", nil, []string{sig("body_secret", "authenteq-new-secret")}, body, "missing_client_id"},
		{"empty client id", "", []string{""}, []string{sig("body_secret", "authenteq-new-secret")}, body, "client_id_mismatch"},
		{"wrong client id", "", []string{authenteqTestClientID + "x"}, []string{sig("body_secret", "authenteq-new-secret")}, body, "client_id_mismatch"},
		{"two client ids", "", []string{authenteqTestClientID, authenteqTestClientID}, []string{sig("body_secret", "authenteq-new-secret")}, body, "duplicate_header"},
		{"no signature", "", []string{authenteqTestClientID}, nil, body, "missing_signature"},
		{"two signatures", "", []string{authenteqTestClientID}, []string{sig("body_secret", "authenteq-new-secret"), sig("body_secret", "authenteq-old-secret")}, body, "duplicate_header"},
		{"empty signature", "", []string{authenteqTestClientID}, []string{""}, body, "malformed_signature"},
		{"not hex", "", []string{authenteqTestClientID}, []string{strings.Repeat("zz", 32)}, body, "malformed_signature"},
		{"short", "", []string{authenteqTestClientID}, []string{sig("body_secret", "authenteq-new-secret")[:62]}, body, "malformed_signature"},
		{"sha256= prefix", "", []string{authenteqTestClientID}, []string{"sha256=" + sig("body_secret", "authenteq-new-secret")}, body, "malformed_signature"},
		{"base64", "", []string{authenteqTestClientID}, []string{"q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng="}, body, "malformed_signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := testAuthenteq(t, func(a *Authenteq) {
				a.Secrets, a.Digest = []string{"authenteq-old-secret", "authenteq-new-secret"}, c.digest
				a.InsecureLengthExtension = c.digest == AuthenteqDigestSecretBody
			})
			d := formDelivery(form.contentType(), c.body)
			d.Request.Header.Del("X-Client-Id")
			d.Request.Header.Del("X-Signature")
			for _, v := range c.clientID {
				d.Request.Header.Add("X-Client-Id", v)
			}
			for _, v := range c.sig {
				d.Request.Header.Add("X-Signature", v)
			}
			err := a.Verify(d)
			assertCode(t, err, c.code)
			if err != nil {
				for _, leak := range []string{"authenteq-old-secret", "authenteq-new-secret", sig("body_secret", "authenteq-new-secret")[:16]} {
					if strings.Contains(strings.ToLower(err.Error()), leak) {
						t.Errorf("the refusal carries %q: %v", leak, err)
					}
				}
			}
		})
	}
}

// A route with no client id or no secret, or with an unknown setting, does
// not start.
func TestAuthenteqProvisionRefuses(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_EMPTY", "")
	cases := map[string]*Authenteq{
		"no client id":         {Secrets: []string{authenteqTestSecret}},
		"no secret":            {ClientID: "c"},
		"empty client id env":  {ClientID: "{env.BIOHOOK_TEST_EMPTY}", Secrets: []string{authenteqTestSecret}},
		"empty secret env":     {ClientID: "c", Secrets: []string{"{env.BIOHOOK_TEST_EMPTY}"}},
		"unset client id env":  {ClientID: "{env.BIOHOOK_TEST_UNSET_X}", Secrets: []string{authenteqTestSecret}},
		"second secret empty":  {ClientID: "c", Secrets: []string{authenteqTestSecret, ""}},
		"unknown digest":       {ClientID: "c", Secrets: []string{authenteqTestSecret}, Digest: "sha1"},
		"unknown images value": {ClientID: "c", Secrets: []string{authenteqTestSecret}, Images: "url"},
	}
	for name, a := range cases {
		err := a.Provision(testContext(t))
		if err == nil {
			err = a.Validate()
		}
		if err == nil {
			t.Errorf("%s: the route started", name)
		}
	}
	t.Setenv("BIOHOOK_TEST_AUTHENTEQ_ID", "from-env")
	a := &Authenteq{ClientID: "{env.BIOHOOK_TEST_AUTHENTEQ_ID}", Secrets: []string{authenteqTestSecret}}
	if err := a.Provision(testContext(t)); err != nil || a.clientID != "from-env" || a.Digest != "body_secret" || a.Images != "inline" {
		t.Errorf("provision: %v, client id %q, digest %q, images %q", err, a.clientID, a.Digest, a.Images)
	}
}

// Each bad fixture is refused with its reason, by Verify or by Normalize,
// and no refusal carries image bytes.
func TestAuthenteqBadInput(t *testing.T) {
	a := testAuthenteq(t)
	for name, raw := range authenteqBadFixtures() {
		t.Run(name, func(t *testing.T) {
			want := authenteqBadCases[name]
			d := readHTTP(t, raw)
			err := a.Verify(d)
			if err == nil {
				_, err = a.Normalize(d)
			}
			assertCode(t, err, want.Code)
			if rej := AsRejection(err); rej.Status != want.Status {
				t.Errorf("status %d, want %d", rej.Status, want.Status)
			}
			if strings.Contains(err.Error(), "JFIF") || len(err.Error()) > 300 {
				t.Errorf("the refusal carries content: %.300q", err.Error())
			}
		})
	}
}

// Inline image data are sub-slices of the body, not copies; omit keeps the
// metadata and drops the bytes; size and digest describe the bytes sent.
func TestAuthenteqImages(t *testing.T) {
	form := testForm{boundary: authenteqTestBoundary,
		parts: append([]testPart{resultPart(authenteqPassport)}, authenteqRequiredImages("images")...)}
	body := form.body()
	for _, mode := range []string{"inline", "omit"} {
		a := testAuthenteq(t, func(a *Authenteq) { a.Images = mode })
		ev, err := a.Normalize(formDelivery(form.contentType(), body))
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.Data.Images) != 4 {
			t.Fatalf("%s: %d images, want 4", mode, len(ev.Data.Images))
		}
		for i, img := range ev.Data.Images {
			sent := form.parts[i+1]
			sum := sha256.Sum256(sent.data)
			if img.Name != sent.name || img.ContentType != sent.contentType || img.Size != len(sent.data) || img.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: image %d is %+v", mode, i, Image{Name: img.Name, ContentType: img.ContentType, Size: img.Size, SHA256: img.SHA256})
			}
			switch {
			case mode == "omit" && img.Data != nil:
				t.Errorf("omit kept the bytes of %s", img.Name)
			case mode == "inline" && !bytes.Equal(img.Data, sent.data):
				t.Errorf("inline changed the bytes of %s", img.Name)
			case mode == "inline" && !within(img.Data, body):
				t.Errorf("inline copied the bytes of %s", img.Name)
			}
		}
		out, err := ev.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if (mode == "omit") == bytes.Contains(out, []byte(`"data":"/9j/`)) {
			t.Errorf("%s: the encoded event's image data are wrong", mode)
		}
	}
}

// within reports whether sub lies inside whole's memory.
func within(sub, whole []byte) bool {
	if len(sub) == 0 {
		return true
	}
	s, w := uintptr(unsafe.Pointer(unsafe.SliceData(sub))), uintptr(unsafe.Pointer(unsafe.SliceData(whole)))
	return s >= w && s+uintptr(len(sub)) <= w+uintptr(len(whole))
}

func TestAuthenteqNormalize(t *testing.T) {
	a := testAuthenteq(t)
	ev, err := a.Normalize(readHTTP(t, authenteqFixtures()["passport.http"]))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(ev.Data.Raw, &raw); err != nil || raw["nfcVerified"] != true {
		t.Errorf("raw is not the result JSON: %v %v", err, raw)
	}
	want := Document{Type: "PP", Number: "C01X00T47", IssuingCountry: "DEU", Nationality: "DEU", DateOfBirth: "1964-08-12", DateOfExpiry: "2031-10-31"}
	switch {
	case ev.ID != "7f3c2a1e-5b8d-4c9a-9e2f-1a6b3c4d5e6f":
		t.Errorf("id %q", ev.ID)
	case ev.Data.Outcome != OutcomeApproved:
		t.Errorf("outcome %q", ev.Data.Outcome)
	case ev.Data.Document == nil || *ev.Data.Document != want:
		t.Errorf("document %+v", ev.Data.Document)
	case ev.Data.User == nil || ev.Data.User.Name != "ERIKA MUSTERMANN":
		t.Errorf("user %+v", ev.Data.User)
	case ev.Time != "2026-03-14T09:14:47.905Z":
		t.Errorf("time %q", ev.Time)
	}
	for status, outcome := range map[string]Outcome{
		"": OutcomeApproved, "PASSED": OutcomeApproved, "passed": OutcomeApproved, "FAILED": OutcomeRejected,
		"REJECTED": OutcomeRejected, "PENDING": OutcomePending, "IN_REVIEW": OutcomePending, "EXPIRED": OutcomeNone,
	} {
		if got := authenteqOutcome(status); got != outcome {
			t.Errorf("status %q: outcome %q, want %q", status, got, outcome)
		}
	}
}

// A result without an id gets an id derived from the body.
func TestAuthenteqDerivedID(t *testing.T) {
	form := testForm{boundary: "x", parts: []testPart{resultPart(`{"status":"PASSED"}`)}}
	body := form.body()
	ev, err := testAuthenteq(t).Normalize(formDelivery(form.contentType(), body))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != DerivedID("authenteq", body) || ev.Data.Images != nil {
		t.Errorf("id %q, images %v", ev.ID, ev.Data.Images)
	}
}

// The reader takes what RFC 2046 allows and refuses the rest.
func TestAuthenteqMultipart(t *testing.T) {
	result := "Content-Disposition: form-data; name=\"result\"\r\n\r\n{\"id\":\"r\"}"
	face := "Content-Disposition: form-data; name=\"faceImage\"; filename=\"f.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nJPEG"
	join := func(nl string, parts ...string) string {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString("--B" + nl + strings.ReplaceAll(p, "\r\n", nl) + nl)
		}
		return b.String() + "--B--"
	}
	cases := []struct {
		name, body string
		images     int
		code       string
	}{
		{"crlf", join("\r\n", result, face), 1, ""},
		{"lf only", join("\n", result, face), 1, ""},
		{"preamble", "preamble\r\n" + join("\r\n", result, face), 0, "invalid_multipart"},
		{"epilogue", join("\r\n", result, face) + "\r\nepilogue --B--", 0, "invalid_multipart"},
		{"transport padding", strings.Replace(join("\r\n", result, face), "--B\r\n", "--B \t\r\n", 1), 1, ""},
		{"boundary text in content", join("\r\n", result, strings.Replace(face, "JPEG", "JP\r\n--BX\r\nEG", 1)), 1, ""},
		{"empty image", join("\r\n", result, strings.Replace(face, "JPEG", "", 1)), 1, ""},
		{"unnamed file part kept", join("\r\n", result, strings.Replace(face, "faceImage", "selfieVideo", 1)), 1, ""},
		{"binary transfer encoding", join("\r\n", result, strings.Replace(face, "\r\n\r\n", "\r\nContent-Transfer-Encoding: binary\r\n\r\n", 1)), 1, ""},
		{"no closing delimiter", strings.TrimSuffix(join("\r\n", result, face), "--B--"), 0, "invalid_multipart"},
		{"no opening delimiter", "nothing here", 0, "invalid_multipart"},
		{"empty body", "", 0, "invalid_multipart"},
		{"base64 transfer encoding", join("\r\n", result, strings.Replace(face, "\r\n\r\n", "\r\nContent-Transfer-Encoding: base64\r\n\r\n", 1)), 0, "invalid_multipart"},
		{"part without a name", join("\r\n", result, "Content-Type: image/jpeg\r\n\r\nJPEG"), 0, "invalid_multipart"},
		{"part without a header", join("\r\n", result, "\r\nJPEG"), 0, "invalid_multipart"},
		{"header without end", join("\r\n", result, "Content-Disposition: form-data; name=\"x\""), 0, "invalid_multipart"},
		{"attachment, not form-data", join("\r\n", result, strings.Replace(face, "form-data", "attachment", 1)), 0, "invalid_multipart"},
		{"two dispositions", join("\r\n", result, "Content-Disposition: form-data; name=\"a\"\r\n"+face), 0, "invalid_multipart"},
		{"two results", join("\r\n", result, result), 0, "invalid_multipart"},
		{"no result", join("\r\n", face), 0, "missing_result"},
		{"result is an array", join("\r\n", strings.Replace(result, `{"id":"r"}`, `[1]`, 1)), 0, "invalid_json"},
		{"result is null", join("\r\n", strings.Replace(result, `{"id":"r"}`, `null`, 1)), 0, "invalid_json"},
		{"result has a duplicate key", join("\r\n", strings.Replace(result, `{"id":"r"}`, `{"id":"r","id":"s"}`, 1)), 0, "invalid_json"},
		{"result has trailing data", join("\r\n", strings.Replace(result, `{"id":"r"}`, `{"id":"r"} {}`, 1)), 0, "invalid_json"},
		{"too many parts", join("\r\n", append([]string{result}, strings.Split(strings.Repeat(face+"|", 64), "|")[:64]...)...), 0, "invalid_multipart"},
	}
	a := testAuthenteq(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := a.Normalize(formDelivery("multipart/form-data; boundary=B", []byte(c.body)))
			assertCode(t, err, c.code)
			if err == nil && len(ev.Data.Images) != c.images {
				t.Errorf("%d images, want %d", len(ev.Data.Images), c.images)
			}
		})
	}
	for ct, code := range map[string]string{
		"multipart/form-data":                                      "invalid_multipart",
		"multipart/form-data; boundary=":                           "invalid_multipart",
		"multipart/form-data; boundary=" + strings.Repeat("b", 71): "invalid_multipart",
		"multipart/mixed; boundary=B":                              "unsupported_media_type",
		"application/json":                                         "unsupported_media_type",
		"":                                                         "invalid_multipart",
	} {
		_, err := a.Normalize(formDelivery(ct, []byte(join("\r\n", result))))
		assertCode(t, err, code)
	}
}

func TestAuthenteqAcknowledge(t *testing.T) {
	a := testAuthenteq(t)
	for status, replaced := range map[int]bool{200: false, 201: true, 202: true, 204: true, 299: true, 301: false, 400: false, 500: false, 503: false} {
		answer, replace := a.Acknowledge(status, http.Header{})
		if replace != replaced || (replace && (answer.Status != 200 || len(answer.Body) != 0)) {
			t.Errorf("upstream %d: replace=%v answer %+v", status, replace, answer)
		}
	}
}

func TestAuthenteqCaddyfile(t *testing.T) {
	good := `authenteq {
		client_id {env.AUTHENTEQ_CLIENT_ID}
		secret {env.OLD}
		secret {file./run/secrets/new}
		digest hmac
		images omit
	}`
	var a Authenteq
	if err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser(good)); err != nil {
		t.Fatal(err)
	}
	if a.ClientID != "{env.AUTHENTEQ_CLIENT_ID}" || len(a.Secrets) != 2 || a.Secrets[1] != "{file./run/secrets/new}" || a.Digest != "hmac" || a.Images != "omit" {
		t.Errorf("parsed %+v", a)
	}
	for _, bad := range []string{
		"authenteq {\n digest sha1\n}",
		"authenteq {\n images url\n}",
		"authenteq {\n client_id a b\n}",
		"authenteq {\n secret\n}",
		"authenteq {\n app_id x\n}",
		"authenteq {\n digest\n}",
	} {
		var a Authenteq
		if err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// FuzzAuthenteqForm feeds any body and Content-Type to Normalize: it must
// never panic, and what it accepts must be framed by its boundary (opening
// delimiter at byte 0, closing delimiter at the end, then at most one line
// break) and encode as JSON whose images are pieces of the body with the
// digest of their bytes.
func FuzzAuthenteqForm(f *testing.F) {
	for _, raw := range authenteqFixtures() {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			f.Fatal(err)
		}
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(r.Body)
		f.Add(r.Header.Get("Content-Type"), body.Bytes())
	}
	f.Add("multipart/form-data; boundary=B", []byte("--B\nContent-Disposition: form-data; name=result\n\n{}\n--B--"))
	hiding := []byte("--B\r\nContent-Disposition: form-data; name=result\r\n\r\n{}\r\n--B\r\nContent-Disposition: form-data; name=x\r\n\r\n" +
		"\r\n--E\r\nContent-Disposition: form-data; name=result\r\n\r\n{}\r\n--E--\r\n\r\n--B--\r\n")
	f.Add("multipart/form-data; boundary=E", hiding)
	f.Add("multipart/form-data; boundary=B", append([]byte("pre\r\n"), hiding...))
	f.Add("multipart/form-data; boundary=B", append(bytes.Clone(hiding), "--B--\r\n"...))
	a := testAuthenteq(f)
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		ev, err := a.Normalize(formDelivery(contentType, body))
		if err != nil {
			if rej := AsRejection(err); rej.Status >= 500 {
				t.Fatalf("status %d: %v", rej.Status, err)
			}
			return
		}
		boundary, err := formBoundary(contentType)
		if err != nil {
			t.Fatalf("accepted without a boundary: %v", err)
		}
		framed := bytes.TrimSuffix(body, []byte("\n"))
		framed = bytes.TrimSuffix(framed, []byte("\r"))
		if !bytes.HasPrefix(body, []byte("--"+boundary)) || !bytes.HasSuffix(framed, []byte("\n--"+boundary+"--")) {
			t.Fatalf("accepted a body its boundary %q does not frame", boundary)
		}
		total := 0
		for _, img := range ev.Data.Images {
			sum := sha256.Sum256(img.Data)
			if !within(img.Data, body) || img.Size != len(img.Data) || img.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("image %q does not describe bytes of the body", img.Name)
			}
			total += img.Size
		}
		if total+len(ev.Data.Raw) > len(body) {
			t.Fatalf("parts add up to more than the body")
		}
		out, err := ev.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !jsontext.Value(out).IsValid() {
			t.Fatalf("event is not JSON: %q", out)
		}
	})
}

// FuzzAuthenteqSignature: no X-SIGNATURE verifies but the digest itself, in
// either case of hex.
func FuzzAuthenteqSignature(f *testing.F) {
	body := []byte("--B\r\nContent-Disposition: form-data; name=result\r\n\r\n{}\r\n--B--")
	good := authenteqSign(AuthenteqDigestBodySecret, body, authenteqTestSecret)
	for _, s := range []string{good, strings.ToUpper(good), good[:63], "", "sha256=" + good, good + "00"} {
		f.Add(s)
	}
	a := testAuthenteq(f)
	f.Fuzz(func(t *testing.T, sig string) {
		d := formDelivery("multipart/form-data; boundary=B", body)
		d.Request.Header["X-Signature"] = []string{sig}
		err := a.Verify(d)
		if ok := strings.EqualFold(strings.TrimSpace(sig), good); ok != (err == nil) {
			t.Fatalf("signature %q: %v", sig, err)
		}
	})
}
