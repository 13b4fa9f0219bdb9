package durable

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// record is one event in the spool: the normalised body and what is needed
// to send it through its route again. Nothing in it is a request as a
// client sent it: a delivery from the spool is a POST of the body to the
// path the event came in on, with the headers rebuilt from these fields.
type record struct {
	Seq     uint64 `json:"-"`
	Key     string `json:"key"`               // the event's store key (source and id hashed)
	ID      string `json:"id"`                // the event's id: the Idempotency-Key
	Type    string `json:"type,omitempty"`    // the event's type and subject, for placeholders
	Subject string `json:"subject,omitempty"` //
	Route   string `json:"route"`             // the durable route that took it
	Order   string `json:"order,omitempty"`   // events with one order key go one at a time, oldest first

	// What the delivery is rebuilt from, so that the route's matchers see
	// the host, path and client address of the live delivery again.
	Vendor      string `json:"vendor"`       // Biohook-Vendor
	ContentType string `json:"content_type"` // the body's, as the next handler got it
	Host        string `json:"host"`
	Path        string `json:"path"` // escaped, as received (before rewrites), no query; a path credential redacted
	RemoteAddr  string `json:"remote_addr"`
	TLS         bool   `json:"tls,omitempty"`

	// HMAC-SHA256 over the fields above, the key and the route, and the
	// body, under the route's record key: see recordAuth. Empty only in a
	// bolt file (a record of a route with no key, or written before records
	// were signed).
	MAC []byte `json:"mac,omitempty"`

	// The delivery state: not authenticated. Whoever can write the spool can
	// delay, retry or dead-letter an event, never change what is delivered.
	Enqueued   time.Time `json:"enqueued"`
	Attempts   int       `json:"attempts"`
	NextAt     time.Time `json:"next_at"`
	LastStatus int       `json:"last_status,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	DeadAt     time.Time `json:"dead_at,omitzero"`
	Reason     string    `json:"reason,omitempty"` // why it was dead-lettered

	Body []byte `json:"-"`
}

// revive makes a dead letter a new event again: no attempts made, no
// answer kept, max_age counted from now. Both spools replay through it.
func (rec *record) revive(now time.Time) {
	rec.Attempts, rec.Enqueued, rec.NextAt = 0, now, now
	rec.DeadAt, rec.Reason, rec.LastStatus, rec.LastError = time.Time{}, "", 0, ""
}

// recordMagic starts a record of this format. A record before it starts
// with its 4-byte metadata length, whose first byte is 0.
var recordMagic = [4]byte{'B', 'H', 'R', 2}

// encode lays a record out as the magic, a 4-byte length, its fields as
// JSON, and the body as it is: the body is never re-encoded.
func (rec *record) encode() ([]byte, error) {
	meta, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 8, 8+len(meta)+len(rec.Body))
	copy(out, recordMagic[:])
	binary.BigEndian.PutUint32(out[4:], uint32(len(meta)))
	out = append(out, meta...)
	return append(out, rec.Body...), nil
}

var errBadRecord = errors.New("spool record is corrupt")

// decodeRecord reads a record; withBody false leaves the body out, for
// listings. The result never shares memory with b, which bbolt owns. A
// record of the earlier format is read into this one, without a MAC.
func decodeRecord(seq uint64, b []byte, withBody bool) (*record, error) {
	if len(b) >= 4 && b[0] == 0 {
		return decodeRecordV1(seq, b, withBody)
	}
	if len(b) < 8 || !bytes.Equal(b[:4], recordMagic[:]) {
		return nil, errBadRecord
	}
	n := int(binary.BigEndian.Uint32(b[4:]))
	if n > len(b)-8 {
		return nil, errBadRecord
	}
	rec := &record{Seq: seq}
	if err := json.Unmarshal(b[8:8+n], rec); err != nil {
		return nil, errBadRecord
	}
	if withBody {
		rec.Body = append([]byte(nil), b[8+n:]...)
	}
	return rec, nil
}

// recordV1 is the metadata of the earlier format, which kept the live
// request: method, URI and headers as the next handler got them.
type recordV1 struct {
	record
	Method string      `json:"method"`
	URI    string      `json:"uri"`
	Header http.Header `json:"header"`
}

// decodeRecordV1 reads a record of the earlier format: its path without the
// query, and of its headers only those a delivery rebuilds. It has no MAC,
// so only a bolt spool delivers it.
func decodeRecordV1(seq uint64, b []byte, withBody bool) (*record, error) {
	n := int(binary.BigEndian.Uint32(b))
	if n > len(b)-4 {
		return nil, errBadRecord
	}
	var v1 recordV1
	if err := json.Unmarshal(b[4:4+n], &v1); err != nil {
		return nil, errBadRecord
	}
	rec := &v1.record
	rec.Seq, rec.MAC = seq, nil
	rec.Path = "/"
	if u, err := url.ParseRequestURI(v1.URI); err == nil && u.EscapedPath() != "" {
		rec.Path = u.EscapedPath()
	}
	rec.ContentType, rec.Vendor = v1.Header.Get("Content-Type"), v1.Header.Get("Biohook-Vendor")
	if withBody {
		rec.Body = append([]byte(nil), b[4+n:]...)
	}
	return rec, nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}
