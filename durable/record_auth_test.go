package durable

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"
)

// randomKey is a key shaped like an event key.
func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// A MAC covers every field that says what is delivered and where, and the
// body; the delivery state is not covered. The first key signs, each one
// verifies.
func TestRecordAuth(t *testing.T) {
	oldKey, newKey := []byte("the-old-record-key"), []byte("the-new-record-key")
	signer, err := newRecordAuth([][]byte{oldKey})
	if err != nil {
		t.Fatal(err)
	}
	rec := sampleRecord()
	signer.sign(rec)
	rotated, _ := newRecordAuth([][]byte{newKey, oldKey})
	other, _ := newRecordAuth([][]byte{newKey})
	if !signer.verify(rec) || !rotated.verify(rec) || other.verify(rec) {
		t.Fatalf("verify: same key %v, rotated %v, other key %v", signer.verify(rec), rotated.verify(rec), other.verify(rec))
	}
	var none *recordAuth
	if none.verify(rec) {
		t.Fatal("a route with no key verified a MAC")
	}
	rec.Attempts, rec.NextAt, rec.Reason, rec.LastError = 9, time.Now(), "x", "y"
	if !signer.verify(rec) {
		t.Fatal("the delivery state is covered by the MAC")
	}
	changes := map[string]func(*record){
		"route": func(r *record) { r.Route = "entrust/other" }, "key": func(r *record) { r.Key = randomKey() },
		"id": func(r *record) { r.ID = "e2" }, "type": func(r *record) { r.Type = "x" },
		"subject": func(r *record) { r.Subject = "x" }, "order": func(r *record) { r.Order = "x" },
		"vendor": func(r *record) { r.Vendor = "x" }, "content type": func(r *record) { r.ContentType = "text/plain" },
		"host": func(r *record) { r.Host = "x" }, "path": func(r *record) { r.Path = "/internal" },
		"client": func(r *record) { r.RemoteAddr = "10.0.0.1:1" }, "tls": func(r *record) { r.TLS = false },
		"body": func(r *record) { r.Body = append(r.Body, ' ') },
		// Framing: a byte moved from one field to the next.
		"framing": func(r *record) { r.Type, r.Subject = r.Type+r.Subject[:1], r.Subject[1:] },
	}
	for name, change := range changes {
		r := *rec
		r.Body = append([]byte(nil), rec.Body...)
		change(&r)
		if signer.verify(&r) {
			t.Errorf("%s changed and the MAC still verifies", name)
		}
	}
}
