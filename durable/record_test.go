package durable

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func sampleRecord() *record {
	return &record{Key: testEventKey("entrust", "https://biohook.dev/vendors/entrust", "e1"), ID: "e1", Type: "user.updated",
		Subject: "s", Route: "entrust", Order: "s", Vendor: "entrust", ContentType: "application/cloudevents+json",
		Host: "hooks.example.com", Path: "/hooks/entrust", RemoteAddr: "203.0.113.5:4711", TLS: true,
		Enqueued: time.Unix(1700000000, 0).UTC(), NextAt: time.Unix(1700000001, 0).UTC(), Attempts: 2,
		Body: []byte(`{"specversion":"1.0","id":"e1"}`)}
}

// A record comes back as it went in, its body byte for byte, and a listing
// leaves the body out.
func TestRecordRoundTrip(t *testing.T) {
	in := sampleRecord()
	in.MAC = bytes.Repeat([]byte{7}, 32)
	b, err := in.encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeRecord(7, b, true)
	if err != nil {
		t.Fatal(err)
	}
	if out.Seq != 7 || out.ID != in.ID || out.Path != in.Path || !out.TLS || out.Attempts != 2 ||
		!out.NextAt.Equal(in.NextAt) || out.ContentType != in.ContentType || !bytes.Equal(out.MAC, in.MAC) ||
		!bytes.Equal(out.Body, in.Body) {
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

// A record of the earlier format is read without its method, query or
// headers (but the event's media type and vendor), and with no MAC; written
// again, it is of the new format.
func TestRecordV1(t *testing.T) {
	b := recordV1Bytes(`{"key":"k1","id":"e1","route":"argos","method":"DELETE","uri":"/hooks/argos/tok?x=1",`+
		`"host":"h","remote_addr":"10.0.0.1:1","mac":"AAAA","header":{"Authorization":["Bearer x"],`+
		`"Content-Type":["application/cloudevents+json"],"Biohook-Vendor":["argos"]}}`, "{}")
	rec, err := decodeRecord(3, b, true)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Path != "/hooks/argos/tok" || rec.MAC != nil || rec.ContentType != "application/cloudevents+json" ||
		rec.Vendor != "argos" || rec.Host != "h" || rec.RemoteAddr != "10.0.0.1:1" || string(rec.Body) != "{}" {
		t.Fatalf("decoded %+v", rec)
	}
	again, err := rec.encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(again, recordMagic[:]) || bytes.Contains(again, []byte("Bearer")) || bytes.Contains(again, []byte("DELETE")) {
		t.Errorf("re-encoded: %q", again)
	}
}

// A damaged record is an error, never a panic: the spool file is read back
// after crashes.
func FuzzDecodeRecord(f *testing.F) {
	good, _ := sampleRecord().encode()
	f.Add(good)
	f.Add(recordV1Bytes(`{"key":"k","route":"entrust","method":"DELETE","uri":"/a/b?c","header":{"Content-Type":["x"]}}`, "body"))
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

// testEventKey is a key shaped as the handler makes them: a digest of the
// route, the event's source and its id, in 32 hex digits.
func testEventKey(route, source, id string) string {
	sum := sha256.Sum256([]byte(route + "\x00" + source + "\x00" + id))
	return hex.EncodeToString(sum[:16])
}

// recordV1Bytes lays out a record of the format before records were signed:
// a 4-byte length, the metadata, the body.
func recordV1Bytes(meta, body string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(meta)))
	return append(append(b, meta...), body...)
}
