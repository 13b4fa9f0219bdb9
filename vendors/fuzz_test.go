package vendors

import (
	"bytes"
	"context"
	cryptotls "crypto/tls"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// fuzzNormalize runs arbitrary bodies through a vendor's Normalize: it must
// never panic, and whatever it accepts must encode as valid JSON (the raw
// payload is copied into the event as received, so a vendor that accepted
// invalid JSON would break the event).
func fuzzNormalize(f *testing.F, vendor string, v Vendor) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", vendor, "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"eventName":"AUTH","facialId":1,"details":[]}`))
	f.Add([]byte(`{"id":"1","type":"x","data":{"entityAttributes":"s"}} trailing`))
	f.Add([]byte(`{"id":"1","id":"2","type":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := v.Normalize(jsonDelivery(body))
		if err != nil {
			// Every error is a rejection or becomes a 500, and none quotes
			// the payload (a decoder's error would, with a JSON pointer).
			if msg := AsRejection(err).Error(); strings.ContainsAny(msg, `"'`) || strings.Contains(msg, "within") {
				t.Fatalf("the refusal quotes the payload: %s", msg)
			}
			return
		}
		out, err := ev.Encode()
		if err != nil {
			t.Fatalf("accepted but cannot encode: %v", err)
		}
		if !jsontext.Value(out).IsValid() {
			t.Fatalf("invalid event JSON for body %q:\n%s", body, out)
		}
	})
}

func FuzzFACEIONormalize(f *testing.F) {
	fuzzNormalize(f, "faceio", provisioned(f, &FACEIO{Secrets: []string{"faceio-webhook-token"}}))
}

func FuzzEntrustNormalize(f *testing.F) {
	fuzzNormalize(f, "entrust", provisioned(f, &Entrust{Secrets: []string{"entrust-webhook-token"}}))
}

// FuzzEntrustEnvelope holds the one-pass walk to json.Unmarshal into the
// same struct: both refuse a document, or both read the same fields.
func FuzzEntrustEnvelope(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "entrust", "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"id":"1","type":"x","data":{"entityAttributes":"s"}} trailing`,
		`{"id":"1","id":"2","type":"x"}`,
		`{"i\u0064":"1","type":2.50,"data":null,"eventTime":{"a":[1]}}`,
		`{"id":"1","data":{"subject":true,"entityAttributes":{"email":null,"userId":[1,2]}}}`,
		`{"ID":"1","Type":"x"}`, `[]`, `null`, `{"data":[]}`, `{"data":"x"}`, "{\"id\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var walked, unmarshalled entrustEnvelope
		walkErr := walked.read(body)
		refErr := json.Unmarshal(body, &unmarshalled)
		if (walkErr == nil) != (refErr == nil) {
			t.Fatalf("walk: %v; json.Unmarshal: %v; body %q", walkErr, refErr, body)
		}
		if walkErr == nil && walked != unmarshalled {
			t.Fatalf("walk read %+v, json.Unmarshal %+v; body %q", walked, unmarshalled, body)
		}
	})
}

// FuzzEventHead holds the hand-written event encoding to json.Marshal: the
// same bytes, or an error from both.
func FuzzEventHead(f *testing.F) {
	f.Add("evt-1", "user.created", "a1b2", "2026-03-16T19:35:16Z", "jane@example.com", "Jane <&> Smith", "P", 0.95, 1e-7, uint8(0xff), []byte(nil))
	f.Add("\xff", "", "", "", "", "", "", 0.0, math.Copysign(0, -1), uint8(0), []byte(nil))
	f.Add("\u2028\x01\"\\", "t", "s", "", "", "", "", 1e21, 123456789.0, uint8(0x55), []byte(` { "a" : [1, 2] } `))
	f.Add("", "", "", "", "", "", "", math.NaN(), 5e-324, uint8(0x0c), []byte(`"ref"`))
	f.Fuzz(func(t *testing.T, id, typ, subject, when, email, name, doc string, match, spoof float64, parts uint8, ref []byte) {
		ev := NewEvent("entrust", typ, nil)
		ev.ID, ev.Type, ev.Subject, ev.Time = id, typ, subject, when
		flag := func(bit uint8) *bool { v := parts&bit != 0; return &v }
		if parts&1 != 0 {
			ev.Data.User = &User{ID: subject, Email: email, Name: name}
		}
		if parts&2 != 0 {
			ev.Data.Document = &Document{Type: doc, Number: id}
		}
		if parts&4 != 0 {
			ev.Data.Scores = &Scores{Match: &match}
			if parts&8 != 0 {
				ev.Data.Scores.Spoof = &spoof
			}
		}
		if parts&16 != 0 {
			ev.Data.Signals = &Signals{FaceMatch: flag(32), Mask: flag(64)}
		}
		if parts&128 != 0 {
			ev.Data.Error = &EventError{Code: doc, Message: name}
			if parts&32 != 0 {
				ev.Data.Resource = &Resource{Type: typ, ID: id, Href: email}
			}
		}
		if jsontext.Value(ref).IsValid() {
			ev.Data.Reference = ref // written by the encoder, which compacts it
		}
		got, gotErr := appendHead(nil, ev)
		want, wantErr := json.Marshal(ev)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("appendHead: %v; json.Marshal: %v", gotErr, wantErr)
		}
		if gotErr == nil && !bytes.Equal(got, want) {
			t.Fatalf("appendHead wrote\n%s\njson.Marshal\n%s", got, want)
		}
		// Written after a prefix (a reused buffer), the event is the same.
		ev.Data.Raw = jsontext.Value(`{"id":1}`)
		whole, err := ev.Encode()
		prefix := []byte("earlier bytes")
		after, errAfter := ev.AppendEncode(prefix)
		if (err == nil) != (errAfter == nil) || err == nil && (!bytes.Equal(after[len(prefix):], whole) || !bytes.HasPrefix(after, prefix)) {
			t.Fatalf("after a prefix: %q (%v); alone: %q (%v)", after, errAfter, whole, err)
		}
	})
}

// FuzzEntrustTargetURI: whatever request target net/http accepts, the
// target URI keeps its path and query and takes its scheme and host from
// the listener and the request's host, never from the request line.
func FuzzEntrustTargetURI(f *testing.F) {
	for _, s := range []string{
		"/hooks/entrust?x=1", "https://hooks.example.com/x", "http://evil.example", "http://h?x=1",
		"https://u:p@evil.example:443/p/../q?a=%2F", "http:///x", "*", "h://a//b", "/a?b://c/d",
		"HTTPS://EVIL.EXAMPLE/X", "http://[::1]:80/x",
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, target string, tls bool) {
		u, err := url.ParseRequestURI(target)
		if err != nil || strings.Contains(target, "#") || !strings.HasPrefix(target, "/") && u.Host == "" {
			return // net/http refuses it, or it names no path (asterisk, authority or opaque form)
		}
		r := &http.Request{Method: http.MethodPost, RequestURI: target, Host: "listener.test", Header: http.Header{}}
		scheme := "http"
		if tls {
			r.TLS, scheme = &cryptotls.ConnectionState{}, "https"
		}
		r = r.WithContext(context.Background())
		for _, e := range []*Entrust{{}, {publicBase: "https://pinned.test"}} {
			got, err := url.Parse(e.targetURI(r))
			if err != nil {
				t.Fatalf("target %q: %q does not parse: %v", target, e.targetURI(r), err)
			}
			wantScheme, wantHost := scheme, "listener.test"
			if e.publicBase != "" {
				wantScheme, wantHost = "https", "pinned.test"
			}
			wantPath := u.Path
			if wantPath == "" {
				wantPath = "/"
			}
			if got.Scheme != wantScheme || got.Host != wantHost || got.User != nil ||
				got.Path != wantPath || got.RawQuery != u.RawQuery {
				t.Fatalf("target %q (TLS %v): %q", target, tls, e.targetURI(r))
			}
		}
	})
}
