package integration

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/biohook/caddy-biohook/verify"
)

// The in-process Caddy that caddytest starts listens here; every test in
// this package shares it, so none of them runs in parallel.
const (
	caddyBase = "http://localhost:9080"
	globals   = `{
	# extra global options
	admin localhost:2999
	http_port 9080
	https_port 9443
	skip_install_trust
	grace_period 1ns
	log {
		output stderr
		level ERROR
	}
}
`
)

// received is one request as the upstream saw it.
type received struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// upstream is the application behind Caddy: a real HTTP server that keeps
// every request it receives and answers as told.
type upstream struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	status   int
	header   http.Header
	body     string
}

func newUpstream(t testing.TB) *upstream {
	u := &upstream{status: http.StatusOK, header: http.Header{}}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.requests = append(u.requests, received{r.Method, r.URL.RequestURI(), r.Header.Clone(), body})
	status, header, answer := u.status, u.header.Clone(), u.body
	u.mu.Unlock()
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

// answer sets what the upstream answers from now on.
func (u *upstream) answer(status int, body string, header ...string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.status, u.body, u.header = status, body, http.Header{}
	for _, h := range header {
		k, v, _ := strings.Cut(h, ": ")
		u.header.Add(k, v)
	}
}

// take returns the requests received since the last call.
func (u *upstream) take() []received {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.requests
	u.requests = nil
	return out
}

func (u *upstream) addr() string { return strings.TrimPrefix(u.URL, "http://") }

// startCaddy loads site (Caddyfile site blocks) into the shared Caddy.
func startCaddy(t *testing.T, site string) *caddytest.Tester {
	t.Helper()
	return startCaddyWith(t, "", site)
}

// startCaddyWith is startCaddy with extra global options.
func startCaddyWith(t *testing.T, extraGlobals, site string) *caddytest.Tester {
	t.Helper()
	tester := caddytest.NewTester(t)
	config := strings.Replace(globals, "# extra global options", extraGlobals, 1) + site
	tester.InitServer(config, "caddyfile")
	if t.Failed() {
		t.FailNow()
	}
	return tester
}

// post sends body to path with headers and returns the status and answer.
func post(t *testing.T, tester *caddytest.Tester, path string, body []byte, header http.Header) (*http.Response, string) {
	t.Helper()
	return send(t, tester, http.MethodPost, path, body, header)
}

func send(t *testing.T, tester *caddytest.Tester, method, path string, body []byte, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, caddyBase+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := tester.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(res.Body)
	return res, string(answer)
}

func readFixture(t testing.TB, vendor, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", vendor, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixtureNames(t testing.TB, vendor string) []string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", vendor, "*.json"))
	if len(paths) == 0 {
		t.Fatalf("no fixtures for %s", vendor)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return names
}

// faceioHeaders are the headers FACEIO sends with its token.
func faceioHeaders(token string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("WWW-Authenticate", "Bearer "+token)
	return h
}

// entrustHeaders signs body for url as IDaaS does.
func entrustHeaders(t testing.TB, url string, body []byte, token string, created time.Time) http.Header {
	t.Helper()
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Digest", verify.ContentDigest("sha-256", body))
	signer := verify.HMACSigner{
		Label:      "sig",
		Components: []string{"@method", "@target-uri", "content-digest"},
		Key:        []byte(token),
		Created:    created,
		KeyID:      "webhook",
	}
	in, sig, err := signer.Sign(verify.Message{Method: http.MethodPost, TargetURI: url, Header: h})
	if err != nil {
		t.Fatal(err)
	}
	h.Set("Signature-Input", in)
	h.Set("Signature", sig)
	return h
}

// assertGolden compares an event the upstream received with the golden file
// for fixture name.
func assertGolden(t *testing.T, vendor, name string, got []byte) {
	t.Helper()
	want := readFixture(t, vendor, filepath.Join("golden", name))
	if !jsonEqual(t, got, want) {
		t.Errorf("%s/%s: upstream got\n%s\nwant\n%s", vendor, name, got, want)
	}
}

func mustStatus(t *testing.T, res *http.Response, answer string, status int) {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d; answer %q", res.StatusCode, status, answer)
	}
}

func errorBody(code string) string { return fmt.Sprintf(`{"error":%q}`, code) }
