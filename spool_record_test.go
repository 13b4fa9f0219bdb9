package biohook

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func sampleRecord() *record {
	return &record{Key: eventKey("entrust", "https://biohook.dev/vendors/entrust", "e1"), ID: "e1", Type: "user.updated",
		Subject: "s", Route: "entrust", Order: "s", Method: http.MethodPost, Host: "hooks.example.com",
		URI: "/hooks/entrust?x=1", RemoteAddr: "203.0.113.5:4711", TLS: true,
		Header:   http.Header{"Biohook-Event-Id": {"e1"}, "Content-Type": {"application/cloudevents+json"}},
		Enqueued: time.Unix(1700000000, 0).UTC(), NextAt: time.Unix(1700000001, 0).UTC(), Attempts: 2,
		Body: []byte(`{"specversion":"1.0","id":"e1"}`)}
}

// A record comes back as it went in, its body byte for byte, and a listing
// leaves the body out.
func TestRecordRoundTrip(t *testing.T) {
	in := sampleRecord()
	b, err := in.encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeRecord(7, b, true)
	if err != nil {
		t.Fatal(err)
	}
	if out.Seq != 7 || out.ID != in.ID || out.URI != in.URI || !out.TLS || out.Attempts != 2 ||
		!out.NextAt.Equal(in.NextAt) || out.Header.Get("Biohook-Event-Id") != "e1" || !bytes.Equal(out.Body, in.Body) {
		t.Errorf("round trip: %+v", out)
	}
	b[len(b)-1] = 'X' // the decoded body must not share the stored bytes
	if bytes.Equal(out.Body, b[len(b)-len(in.Body):]) {
		t.Error("the decoded body shares memory with the stored value")
	}
	listed, err := decodeRecord(7, b, false)
	if err != nil || listed.Body != nil {
		t.Errorf("listing: %v, body %q", err, listed.Body)
	}
}

// A damaged record is an error, never a panic: the spool file is read back
// after crashes.
func FuzzDecodeRecord(f *testing.F) {
	good, _ := sampleRecord().encode()
	f.Add(good)
	f.Add(good[:10])
	f.Add([]byte{0, 0, 0, 2, '{', '}'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeRecord(1, b, true)
		if err != nil {
			return
		}
		again, err := rec.encode()
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		if _, err := decodeRecord(1, again, true); err != nil {
			t.Fatalf("a re-encoded record does not decode: %v", err)
		}
	})
}

// The exponential wait doubles up to its maximum and stays there, however
// many attempts have failed, jittered over its upper half.
func TestRetryWait(t *testing.T) {
	p := &RetryPolicy{Base: caddy.Duration(time.Second), Max: caddy.Duration(5 * time.Minute)}
	for _, n := range []int{1, 2, 3, 9, 10, 35, 36, 40, 64, 100, 1000} {
		want := min(time.Second<<min(n-1, 20), 5*time.Minute)
		for range 20 {
			got, ok := p.wait(n)
			if !ok || got < want/2 || got > want {
				t.Fatalf("wait after %d failures: %s, want within [%s, %s]", n, got, want/2, want)
			}
		}
	}
	s := &RetryPolicy{Schedule: []caddy.Duration{caddy.Duration(time.Second), caddy.Duration(time.Minute)}}
	if w, ok := s.wait(2); !ok || w != time.Minute {
		t.Errorf("schedule wait 2: %s %v", w, ok)
	}
	if _, ok := s.wait(3); ok {
		t.Error("a spent schedule still waits")
	}
}
