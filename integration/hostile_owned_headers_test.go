package integration

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The headers the module sets for the app are its word: a sender that sends
// them itself must not be believed, on any kind of route.

func ownedHeadersSite(up *upstream, spool string) string {
	return `
:9080 {
	handle /hooks/faceio {
		biohook faceio {
			secret {env.BIOHOOK_TEST_FACEIO_OLD}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/faceio-raw {
		biohook faceio {
			secret {env.BIOHOOK_TEST_FACEIO_OLD}
			normalize off
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/entrust {
		biohook entrust {
			secret entrust-dedupe-token
			dedupe {
				store memory
			}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/durable {
		biohook entrust {
			secret entrust-dedupe-token
			durable {
				spool bolt ` + spool + `
				retry exponential 50ms 200ms
			}
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
}

// forgedOwned are headers the module owns, as a sender might forge them.
var forgedOwned = map[string]string{
	"Idempotency-Key":   "forged-key",
	"Biohook-Attempt":   "99",
	"Biohook-Duplicate": "true",
	"Biohook-Vendor":    "forged-vendor",
	"Biohook-Event-Id":  "forged-id",
	"Biohook-Verified":  "true", // any Biohook-* header: the namespace is the module's
}

// The app never sees a Biohook-* header or an Idempotency-Key the sender
// sent, on a plain route, with normalize off, with dedupe, or with durable,
// where the spooled event is delivered later; it sees the module's.
func TestClientSentOwnedHeadersNeverReachTheApp(t *testing.T) {
	setSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, ownedHeadersSite(up, filepath.Join(t.TempDir(), "spool.db")))
	withForged := func(h http.Header) http.Header {
		for k, v := range forgedOwned {
			h.Add(k, v)
		}
		return h
	}
	durableBody, _ := entrustEvent(t, "owned-durable")
	cases := []struct {
		path, vendor string
		body         []byte
		header       http.Header
		durable      bool
	}{
		{"/hooks/faceio", "faceio", readFixture(t, "faceio", "enroll.json"), faceioHeaders("faceio-old-token"), false},
		{"/hooks/faceio-raw", "faceio", readFixture(t, "faceio", "auth.json"), faceioHeaders("faceio-old-token"), false},
		{"/hooks/durable", "entrust", durableBody,
			entrustHeaders(t, caddyBase+"/hooks/durable", durableBody, "entrust-dedupe-token", time.Now()), true},
	}
	dedupeBody, dedupeHeader := entrustEvent(t, "owned-dedupe")
	cases = append(cases, struct {
		path, vendor string
		body         []byte
		header       http.Header
		durable      bool
	}{"/hooks/entrust", "entrust", dedupeBody, dedupeHeader, false})
	for _, c := range cases {
		res, answer := post(t, tester, c.path, c.body, withForged(c.header))
		mustStatus(t, res, answer, http.StatusOK)
		var got []received
		if c.durable {
			got = settled(t, up)
		} else {
			got = up.take()
		}
		if len(got) != 1 {
			t.Fatalf("%s: the app got %d requests, want 1", c.path, len(got))
		}
		checkOwnedHeaders(t, c.path, c.vendor, got[0].Header, c.durable)
	}
}

// checkOwnedHeaders holds what the app received to the module's own
// headers: one Biohook-Vendor naming the vendor, one Biohook-Event-Id that
// is no sender's, and, for a spooled event only, Idempotency-Key (the event
// id) and Biohook-Attempt (1); nothing else of the module's namespace.
// ownedName reports whether a header name is in the module's namespace
// (Biohook-*, Idempotency-Key), in any spelling a server may fold together
// ('-', '_' or '.'): the definition the handler's ownedHeader is fuzzed
// against.
func ownedName(name string) bool {
	folded := strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(name))
	return strings.HasPrefix(folded, "biohook-") || folded == "idempotency-key"
}

func checkOwnedHeaders(t *testing.T, path, vendor string, h http.Header, durable bool) {
	t.Helper()
	allowed := map[string]bool{"Biohook-Vendor": true, "Biohook-Event-Id": true}
	if durable {
		allowed["Idempotency-Key"], allowed["Biohook-Attempt"] = true, true
	}
	for name, values := range h {
		if !ownedName(name) {
			continue
		}
		if !allowed[name] {
			t.Errorf("%s: the app got %s: %q, which the sender sent", path, name, values)
			continue
		}
		if len(values) != 1 {
			t.Errorf("%s: the app got %s %d times: %q", path, name, len(values), values)
		}
	}
	if v := h.Get("Biohook-Vendor"); v != vendor {
		t.Errorf("%s: Biohook-Vendor %q, want %q", path, v, vendor)
	}
	id := h.Get("Biohook-Event-Id")
	if id == "" || id == forgedOwned["Biohook-Event-Id"] {
		t.Errorf("%s: Biohook-Event-Id %q", path, id)
	}
	if !durable {
		return
	}
	if k := h.Get("Idempotency-Key"); k != id {
		t.Errorf("%s: Idempotency-Key %q, want the event id %q", path, k, id)
	}
	if a := h.Get("Biohook-Attempt"); a != "1" {
		t.Errorf("%s: Biohook-Attempt %q, want 1", path, a)
	}
}

// A body is accepted as unencoded only when no Content-Encoding field says
// otherwise: every field, and every member of every field, must be
// "identity". Anything else gets 415 and the app nothing.
func TestContentEncodingOtherThanIdentityRefused(t *testing.T) {
	setSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, faceioEntrustSite(up))
	body := readFixture(t, "faceio", "enroll.json")
	send := func(fields []string) (*http.Response, string) {
		h := faceioHeaders("faceio-old-token")
		if fields != nil {
			h["Content-Encoding"] = fields
		}
		return post(t, tester, "/hooks/faceio", body, h)
	}
	refused := [][]string{
		{"gzip"},
		{"identity", "gzip"},
		{"gzip", "identity"},
		{"identity, gzip"},
		{"IDENTITY,br"},
		{"identity", "identity, deflate"},
		{"identity,"},
		{""},
		{"identity", ""},
		{"identity;q=1"},
	}
	for _, fields := range refused {
		res, answer := send(fields)
		if res.StatusCode != http.StatusUnsupportedMediaType || answer != errorBody("unsupported_encoding") {
			t.Errorf("Content-Encoding %q: %d %s, want 415 unsupported_encoding", fields, res.StatusCode, answer)
		}
		if got := up.take(); len(got) != 0 {
			t.Errorf("Content-Encoding %q: the app got %d requests", fields, len(got))
		}
	}
	accepted := [][]string{nil, {"identity"}, {"Identity"}, {"identity, IDENTITY"}, {"identity", " identity "}}
	for _, fields := range accepted {
		res, answer := send(fields)
		if res.StatusCode != http.StatusOK {
			t.Errorf("Content-Encoding %q: %d %s, want 200", fields, res.StatusCode, answer)
		}
		if got := up.take(); len(got) != 1 {
			t.Errorf("Content-Encoding %q: the app got %d requests", fields, len(got))
		}
	}
}
