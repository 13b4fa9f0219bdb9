package biohook

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/biohook/caddy-biohook/vendors"
)

// checkHandler loads a biohook handler from its JSON, as `caddy biohook
// verify` does: by module ID, outside any server.
func checkHandler(t *testing.T, config string) *Handler {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	mod, err := ctx.LoadModuleByID("http.handlers.biohook", []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	return mod.(*Handler)
}

// Check gives the verdict ServeHTTP would, with nothing forwarded: the
// event for a genuine delivery, and for each kind of refusal the status and
// reason the vendor would get, in the handler's order (the head first, then
// the credentials, then the size, then the body).
func TestCheckIsTheHandlersVerdict(t *testing.T) {
	h := checkHandler(t, `{"vendor":{"name":"faceio","secrets":["check-token-0123456789"]},"max_size":4096}`)
	body := readFixture(t, "faceio", "enroll.json")
	request := func(method, token string) *http.Request {
		r := httptest.NewRequest(method, "/hooks/faceio", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("WWW-Authenticate", "Bearer "+token)
		return r
	}
	event, err := h.Check(request(http.MethodPost, "check-token-0123456789"), body, time.Now())
	if err != nil || !bytes.Contains(event, []byte(`"source":"urn:biohook:faceio"`)) {
		t.Fatalf("a genuine delivery: %v\n%s", err, event)
	}
	for name, c := range map[string]struct {
		r    *http.Request
		body []byte
		code string
	}{
		"not a POST":           {request(http.MethodGet, "check-token-0123456789"), body, "method_not_allowed"},
		"wrong token":          {request(http.MethodPost, "wrong"), body, "token_mismatch"},
		"wrong token, too big": {request(http.MethodPost, "wrong"), bytes.Repeat([]byte(" "), 5000), "token_mismatch"},
		"too big":              {request(http.MethodPost, "check-token-0123456789"), bytes.Repeat([]byte(" "), 5000), "too_large"},
		"not JSON":             {request(http.MethodPost, "check-token-0123456789"), []byte("{"), "invalid_json"},
	} {
		_, err := h.Check(c.r, c.body, time.Now())
		var rej *vendors.Rejection
		if !errors.As(err, &rej) || rej.Code != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}

	off := checkHandler(t, `{"vendor":{"name":"faceio","secrets":["check-token-0123456789"]},"normalize":false}`)
	got, err := off.Check(request(http.MethodPost, "check-token-0123456789"), body, time.Now())
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("normalize off: %v, the body %s", err, strings.TrimSpace(string(got)))
	}
}
