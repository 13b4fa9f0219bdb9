package vendors

import (
	"bytes"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/go-json-experiment/json"
)

// The signature covers the body but not the Content-Type, so the body's own
// bytes must fix the framing: the opening delimiter at byte 0, the closing
// one at the end, followed by at most one line break.
func TestAuthenteqFraming(t *testing.T) {
	result := "Content-Disposition: form-data; name=\"result\"\r\n\r\n{\"id\":\"r\"}"
	face := "Content-Disposition: form-data; name=\"faceImage\"; filename=\"f.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nJPEG"
	form := func(parts ...string) string {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString("--B\r\n" + p + "\r\n")
		}
		return b.String() + "--B--"
	}
	good := form(result, face)
	// forged is a result part under boundary E, hidden in an image.
	forged := "\r\n--E\r\nContent-Disposition: form-data; name=\"result\"\r\n\r\n{\"id\":\"forged\",\"status\":\"PASSED\"}\r\n--E--\r\n"
	hiding := form(result, strings.Replace(face, "JPEG", "JP"+forged+"EG", 1))
	cases := []struct {
		name, boundary, body string
		code                 string
	}{
		{"closing delimiter at the end", "B", good, ""},
		{"then CRLF", "B", good + "\r\n", ""},
		{"then LF", "B", good + "\n", ""},
		{"LF line ends throughout", "B", strings.ReplaceAll(good, "\r\n", "\n") + "\n", ""},
		{"transport padding after the opening delimiter", "B", strings.Replace(good, "--B\r\n", "--B \t\r\n", 1), ""},
		{"the genuine boundary of a form hiding another", "B", hiding, ""},

		{"another boundary, hidden in an image", "E", hiding, "invalid_multipart"},
		{"preamble", "B", "preamble\r\n" + good, "invalid_multipart"},
		{"CRLF before the opening delimiter", "B", "\r\n" + good, "invalid_multipart"},
		{"space before the opening delimiter", "B", " " + good, "invalid_multipart"},
		{"epilogue", "B", good + "\r\nepilogue", "invalid_multipart"},
		{"two CRLFs after the closing delimiter", "B", good + "\r\n\r\n", "invalid_multipart"},
		{"CR alone after the closing delimiter", "B", good + "\r", "invalid_multipart"},
		{"padding after the closing delimiter", "B", good + " \r\n", "invalid_multipart"},
		{"a second closing delimiter", "B", good + "\r\n--B--", "invalid_multipart"},
		{"a part after the closing delimiter", "B", good + "\r\n" + form(face), "invalid_multipart"},
		{"closing delimiter first", "B", "--B--\r\n" + good, "invalid_multipart"},
		{"closing delimiter alone", "B", "--B--", "missing_result"},
		{"no closing delimiter", "B", strings.TrimSuffix(good, "--"), "invalid_multipart"},
		{"boundary a prefix of the body's", "B", strings.ReplaceAll(good, "--B", "--BX"), "invalid_multipart"},
		{"body's boundary a prefix of the given one", "BX", good, "invalid_multipart"},
		{"given boundary ends where the body's has a dash", "B", strings.ReplaceAll(good, "--B", "--B-X"), "invalid_multipart"},
		{"given boundary with the body's padding", "B ", strings.Replace(good, "--B\r\n", "--B \r\n", 1), "invalid_multipart"},
	}
	a := testAuthenteq(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := a.Normalize(formDelivery(`multipart/form-data; boundary="`+c.boundary+`"`, []byte(c.body)))
			assertCode(t, err, c.code)
			if err == nil && ev.ID != "r" {
				t.Errorf("the event is %q's", ev.ID)
			}
		})
	}
}

// Where readers could disagree on which part is the result, the form is
// refused.
func TestAuthenteqResultPart(t *testing.T) {
	part := func(disposition, data string) string {
		return "--B\r\nContent-Disposition: " + disposition + "\r\n\r\n" + data + "\r\n"
	}
	result := part(`form-data; name="result"`, `{"id":"r"}`)
	cases := []struct {
		name, body string
		code       string
	}{
		{"result", result + "--B--", ""},
		{"upper-case header and parameter names", "--B\r\ncontent-disposition: FORM-DATA; NAME=\"result\"\r\n\r\n{\"id\":\"r\"}\r\n--B--", ""},
		{"RFC 2231 name", part(`form-data; name*=UTF-8''result`, `{"id":"r"}`) + "--B--", ""},
		{"two results", result + result + "--B--", "invalid_multipart"},
		{"result and Result", result + part(`form-data; name="Result"`, `{"id":"s"}`) + "--B--", "invalid_multipart"},
		{"RESULT alone", part(`form-data; name="RESULT"`, `{"id":"r"}`) + "--B--", "invalid_multipart"},
		{"result with a filename", part(`form-data; name="result"; filename="result.json"`, `{"id":"r"}`) + "--B--", "invalid_multipart"},
		{"result with an empty filename", part(`form-data; name="result"; filename=""`, `{"id":"r"}`) + "--B--", "invalid_multipart"},
		{"two name parameters", part(`form-data; name="result"; name="faceImage"`, `{"id":"r"}`) + "--B--", "invalid_multipart"},
		{"results later name", part(`form-data; name="resultImage"`, "x") + result + "--B--", ""},
	}
	a := testAuthenteq(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := a.Normalize(formDelivery("multipart/form-data; boundary=B", []byte(c.body)))
			assertCode(t, err, c.code)
			if err == nil && ev.ID != "r" {
				t.Errorf("the event is %q's", ev.ID)
			}
		})
	}
}

// Only RFC 2046 boundaries are taken: 1 to 70 bchars, not ending in a space.
func TestAuthenteqBoundary(t *testing.T) {
	for b, ok := range map[string]bool{
		"B": true, authenteqTestBoundary: true, "----AuthenteqFormBoundary8hQp2xZ4": true,
		"a'()+_,-./:=?z": true, "with space": true, strings.Repeat("b", 70): true,
		"": false, strings.Repeat("b", 71): false, "trailing ": false, "tab\tin": false,
		"semi;colon": false, "quote\"d": false, "back\\slash": false, "é": false, "at@": false,
	} {
		if got := validBoundary(b); got != ok {
			t.Errorf("%q: valid %v, want %v", b, got, ok)
		}
	}
}

// Each line of a fixture that begins with "--" names a boundary candidate;
// only the one the fixture was written with frames it.
func TestAuthenteqOneBoundaryFrames(t *testing.T) {
	a := testAuthenteq(t)
	for name, raw := range authenteqFixtures() {
		if strings.HasPrefix(name, "bad/") {
			continue
		}
		d := readHTTP(t, raw)
		real, err := formBoundary(d.Request.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		tried := 0
		for _, line := range bytes.Split(d.Body, []byte("\n")) {
			line = bytes.TrimRight(line, "\r")
			if len(line) < 4 || !bytes.HasPrefix(line, []byte("--")) {
				continue
			}
			text := string(line[2:])
			for _, b := range []string{text, strings.TrimSuffix(text, "--"), text[:len(text)-1], text + "-"} {
				if b == real || !validBoundary(b) {
					continue
				}
				tried++
				if _, err := splitForm(d.Body, b); err == nil {
					t.Errorf("%s: boundary %q frames the body too", name, b)
				}
			}
		}
		if tried == 0 {
			t.Errorf("%s: no candidate tried", name)
		}
		if _, err := a.Normalize(d); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// digest secret_body is SHA-256(secret || body), open to length extension:
// a route does not start with it unless it opts in, and the opt-in belongs
// to secret_body alone.
func TestAuthenteqSecretBodyOptIn(t *testing.T) {
	base := func(digest string, insecure bool) *Authenteq {
		return &Authenteq{ClientID: "c", Secrets: []string{"s-test-secret-0001"}, Digest: digest, InsecureLengthExtension: insecure}
	}
	for name, c := range map[string]struct {
		a   *Authenteq
		err string
	}{
		"secret_body":                 {base("secret_body", false), "open to length extension"},
		"secret_body opted in":        {base("secret_body", true), ""},
		"body_secret":                 {base("body_secret", false), ""},
		"default":                     {base("", false), ""},
		"hmac":                        {base("hmac", false), ""},
		"opt-in on the default":       {base("", true), "applies only to digest secret_body"},
		"opt-in on hmac":              {base("hmac", true), "applies only to digest secret_body"},
		"opt-in on an unknown digest": {base("sha1", true), "applies only"},
	} {
		err := c.a.Provision(testContext(t))
		if err == nil {
			err = c.a.Validate()
		}
		if (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %v, want %q", name, err, c.err)
		}
		if err != nil && strings.Contains(err.Error(), "s-test-secret-0001") {
			t.Errorf("%s: the error carries the secret: %v", name, err)
		}
	}
	var fromJSON Authenteq
	if err := json.Unmarshal([]byte(`{"client_id":"c","secrets":["s-test-secret-0001"],"digest":"secret_body","insecure_length_extension":true}`), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := fromJSON.Provision(testContext(t)); err != nil || !fromJSON.InsecureLengthExtension {
		t.Errorf("JSON opt-in: %v, %+v", err, fromJSON.InsecureLengthExtension)
	}
}

func TestAuthenteqCaddyfileDigest(t *testing.T) {
	for src, want := range map[string]struct {
		digest   string
		insecure bool
	}{
		"digest body_secret": {"body_secret", false},
		"digest hmac":        {"hmac", false},
		"digest secret_body": {"secret_body", false},
		"digest secret_body insecure_length_extension": {"secret_body", true},
	} {
		var a Authenteq
		if err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser("authenteq {\n" + src + "\n}")); err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if a.Digest != want.digest || a.InsecureLengthExtension != want.insecure {
			t.Errorf("%s: digest %q, insecure %v", src, a.Digest, a.InsecureLengthExtension)
		}
	}
	for _, bad := range []string{
		"digest hmac insecure_length_extension",
		"digest body_secret insecure_length_extension",
		"digest secret_body insecure",
		"digest secret_body insecure_length_extension yes",
		"digest insecure_length_extension",
		"digest insecure_length_extension secret_body",
	} {
		var a Authenteq
		if err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser("authenteq {\n" + bad + "\n}")); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// FuzzAuthenteqBoundary: a body is framed by one boundary at most, so no
// Content-Type can make a signed body read as another form.
func FuzzAuthenteqBoundary(f *testing.F) {
	for name, raw := range authenteqFixtures() {
		d := readHTTP(f, raw)
		b, err := formBoundary(d.Request.Header.Get("Content-Type"))
		if err != nil || strings.HasPrefix(name, "bad/") {
			continue
		}
		f.Add(d.Body, b, "E")
		f.Add(d.Body, b, b+"--")
	}
	hiding := "--B\r\nContent-Disposition: form-data; name=\"result\"\r\n\r\n{}\r\n--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n" +
		"\r\n--E\r\nContent-Disposition: form-data; name=\"result\"\r\n\r\n{}\r\n--E--\r\n\r\n--B--\r\n"
	f.Add([]byte(hiding), "B", "E")
	f.Add([]byte("--B--"), "B", "B--")
	f.Add([]byte("--B \r\n\r\n\r\n--B--"), "B", "B ")
	f.Fuzz(func(t *testing.T, body []byte, b1, b2 string) {
		if b1 == b2 || !validBoundary(b1) || !validBoundary(b2) {
			return
		}
		_, err1 := splitForm(body, b1)
		_, err2 := splitForm(body, b2)
		if err1 == nil && err2 == nil {
			t.Fatalf("boundaries %q and %q both frame the body", b1, b2)
		}
	})
}
