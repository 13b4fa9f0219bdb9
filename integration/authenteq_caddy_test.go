package integration

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// The credentials the Authenteq fixtures are signed with (see
// vendors/authenteq_form_test.go), and a second secret for a rotation.
const (
	authenteqClientID  = "3f9d2c1a-authenteq-client"
	authenteqOldSecret = "authenteq-client-secret-2026"
	authenteqNewSecret = "authenteq-client-secret-2027"
)

func authenteqSite(up *upstream) string {
	creds := `
			client_id {env.BIOHOOK_TEST_AUTHENTEQ_ID}
			secret {env.BIOHOOK_TEST_AUTHENTEQ_OLD}
			secret {env.BIOHOOK_TEST_AUTHENTEQ_NEW}`
	return `
:9080 {
	handle /hooks/authenteq {
		biohook authenteq {` + creds + `
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/authenteq-omit {
		biohook authenteq {` + creds + `
			images omit
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/authenteq-small {
		biohook authenteq {` + creds + `
			max_size 1KiB
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
}

func startAuthenteq(t *testing.T) (*upstream, func(path string, body []byte, h http.Header) (*http.Response, string)) {
	t.Helper()
	t.Setenv("BIOHOOK_TEST_AUTHENTEQ_ID", authenteqClientID)
	t.Setenv("BIOHOOK_TEST_AUTHENTEQ_OLD", authenteqOldSecret)
	t.Setenv("BIOHOOK_TEST_AUTHENTEQ_NEW", authenteqNewSecret)
	up := newUpstream(t)
	tester := startCaddy(t, authenteqSite(up))
	return up, func(path string, body []byte, h http.Header) (*http.Response, string) {
		return post(t, tester, path, body, h)
	}
}

// authenteqFixture reads a raw request kept under testdata/authenteq into
// the headers and body Authenteq sends.
func authenteqFixture(t *testing.T, name string) (http.Header, []byte) {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(readFixture(t, "authenteq", name))))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for _, k := range []string{"Content-Type", "X-Client-Id", "X-Signature"} {
		if v := r.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	return h, body
}

// Every Authenteq fixture reaches the upstream as its golden event, without
// the credential headers, and Authenteq gets 200.
func TestAuthenteqThroughCaddy(t *testing.T) {
	up, send := startAuthenteq(t)
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "authenteq", "*.http"))
	if len(paths) < 3 {
		t.Fatalf("want the Authenteq fixtures, have %d", len(paths))
	}
	for _, path := range paths {
		name := filepath.Base(path)
		h, body := authenteqFixture(t, name)
		res, answer := send("/hooks/authenteq", body, h)
		mustStatus(t, res, answer, http.StatusOK)
		got := up.take()
		if len(got) != 1 {
			t.Fatalf("%s: upstream got %d requests", name, len(got))
		}
		r := got[0]
		assertGolden(t, "authenteq", strings.TrimSuffix(name, ".http")+".json", r.Body)
		if ct := r.Header.Get("Content-Type"); ct != "application/cloudevents+json" {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
		if r.Header.Get("X-Client-Id") != "" || r.Header.Get("X-Signature") != "" {
			t.Errorf("%s: a credential header reached the upstream", name)
		}
		var ev struct{ ID string }
		if err := json.Unmarshal(r.Body, &ev); err != nil || r.Header.Get("Biohook-Event-Id") != ev.ID || ev.ID == "" {
			t.Errorf("%s: Biohook-Event-Id %q, event id %q", name, r.Header.Get("Biohook-Event-Id"), ev.ID)
		}
	}
}

// During a rotation either secret verifies; any other does not.
func TestAuthenteqRotationThroughCaddy(t *testing.T) {
	up, send := startAuthenteq(t)
	h, body := authenteqFixture(t, "passport.http")
	for secret, status := range map[string]int{authenteqOldSecret: 200, authenteqNewSecret: 200, "authenteq-client-secret-2025": 401} {
		sum := sha256.Sum256(append(bytes.Clone(body), secret...))
		h.Set("X-Signature", hex.EncodeToString(sum[:]))
		res, answer := send("/hooks/authenteq", body, h)
		mustStatus(t, res, answer, status)
		want := 0
		if status == http.StatusOK {
			want = 1
		}
		if n := len(up.take()); n != want {
			t.Errorf("status %d: upstream got %d requests, want %d", status, n, want)
		}
	}
}

// With images omit, the upstream gets each image's metadata and no bytes.
func TestAuthenteqImagesOmitThroughCaddy(t *testing.T) {
	up, send := startAuthenteq(t)
	h, body := authenteqFixture(t, "two_documents.http")
	res, answer := send("/hooks/authenteq-omit", body, h)
	mustStatus(t, res, answer, http.StatusOK)
	got := up.take()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests", len(got))
	}
	var ev struct {
		Data struct {
			Images []map[string]any `json:"images"`
		} `json:"data"`
	}
	if err := json.Unmarshal(got[0].Body, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Data.Images) != 9 {
		t.Fatalf("%d images, want 9", len(ev.Data.Images))
	}
	for _, img := range ev.Data.Images {
		if _, ok := img["data"]; ok || img["sha256"] == nil || img["size"] == nil {
			t.Errorf("image %v", img["name"])
		}
	}
	if len(got[0].Body) > len(body)/2 {
		t.Errorf("the event (%d bytes) is not much smaller than the delivery (%d)", len(got[0].Body), len(body))
	}
}

// Each bad delivery gets its 4xx and reason, and the upstream receives nothing.
func TestAuthenteqRefusalsThroughCaddy(t *testing.T) {
	up, send := startAuthenteq(t)
	var cases map[string]struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
	}
	if err := json.Unmarshal(readFixture(t, "authenteq", filepath.Join("bad", "cases.json")), &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no bad cases in testdata/authenteq/bad/cases.json")
	}
	for name, want := range cases {
		h, body := authenteqFixture(t, filepath.Join("bad", name))
		res, answer := send("/hooks/authenteq", body, h)
		if res.StatusCode != want.Status || answer != errorBody(want.Code) {
			t.Errorf("%s: %d %s, want %d %s", name, res.StatusCode, answer, want.Status, errorBody(want.Code))
		}
	}
	h, body := authenteqFixture(t, "passport.http")
	for name, c := range map[string]struct {
		path, drop string
		status     int
		code       string
	}{
		"over max_size":   {"/hooks/authenteq-small", "", 413, "too_large"},
		"no X-CLIENT-ID":  {"/hooks/authenteq", "X-Client-Id", 401, "missing_client_id"},
		"no X-SIGNATURE":  {"/hooks/authenteq", "X-Signature", 401, "missing_signature"},
		"no Content-Type": {"/hooks/authenteq", "Content-Type", 415, "unsupported_media_type"},
	} {
		hh := h.Clone()
		hh.Del(c.drop)
		res, answer := send(c.path, body, hh)
		if res.StatusCode != c.status || answer != errorBody(c.code) {
			t.Errorf("%s: %d %s, want %d %s", name, res.StatusCode, answer, c.status, errorBody(c.code))
		}
	}
	if got := up.take(); len(got) != 0 {
		t.Errorf("upstream received %d refused deliveries", len(got))
	}
}

// Authenteq retries anything but exactly 200: another 2xx from the upstream
// becomes 200; a 200 and every failure pass as the upstream gave them.
func TestAuthenteqAnswerThroughCaddy(t *testing.T) {
	up, send := startAuthenteq(t)
	h, body := authenteqFixture(t, "status_failed.http")
	cases := []struct {
		upstream   int
		upBody     string
		status     int
		answerBody string
	}{
		{201, `{"created":true}`, 200, ""},
		{202, "queued", 200, ""},
		{204, "", 200, ""},
		{200, "thanks", 200, "thanks"},
		{400, "bad event", 400, "bad event"},
		{500, "down", 500, "down"},
		{503, "", 503, ""},
	}
	for _, c := range cases {
		up.answer(c.upstream, c.upBody, "Content-Type: text/plain")
		res, answer := send("/hooks/authenteq", body, h)
		if res.StatusCode != c.status || answer != c.answerBody {
			t.Errorf("upstream %d: vendor got %d %q, want %d %q", c.upstream, res.StatusCode, answer, c.status, c.answerBody)
		}
		if n := len(up.take()); n != 1 {
			t.Errorf("upstream %d: got %d requests", c.upstream, n)
		}
	}
}
