package biohook

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// record is one event in the spool: the normalised body and what is needed
// to send it through the route again as the live delivery went.
type record struct {
	Seq     uint64 `json:"-"`
	Key     string `json:"key"`               // the event's store key (source and id hashed)
	ID      string `json:"id"`                // the event's id: the Idempotency-Key
	Type    string `json:"type,omitempty"`    // the event's type and subject, for placeholders
	Subject string `json:"subject,omitempty"` //
	Route   string `json:"route"`             // the durable route that took it
	Order   string `json:"order,omitempty"`   // events with one order key go one at a time, oldest first

	// The live request, as the route's matchers saw it.
	Method     string      `json:"method"`
	Host       string      `json:"host"`
	URI        string      `json:"uri"`
	RemoteAddr string      `json:"remote_addr"`
	TLS        bool        `json:"tls,omitempty"`
	Header     http.Header `json:"header"` // as prepared for the next handler, credentials stripped

	Enqueued   time.Time `json:"enqueued"`
	Attempts   int       `json:"attempts"`
	NextAt     time.Time `json:"next_at"`
	LastStatus int       `json:"last_status,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	DeadAt     time.Time `json:"dead_at,omitzero"`
	Reason     string    `json:"reason,omitempty"` // why it was dead-lettered

	Body []byte `json:"-"`
}

// encode lays a record out as a 4-byte length, its fields as JSON, and the
// body as it is: the body is never re-encoded.
func (rec *record) encode() ([]byte, error) {
	meta, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 4, 4+len(meta)+len(rec.Body))
	binary.BigEndian.PutUint32(out, uint32(len(meta)))
	out = append(out, meta...)
	return append(out, rec.Body...), nil
}

var errBadRecord = errors.New("spool record is corrupt")

// decodeRecord reads a record; withBody false leaves the body out, for
// listings. The result never shares memory with b, which bbolt owns.
func decodeRecord(seq uint64, b []byte, withBody bool) (*record, error) {
	if len(b) < 4 {
		return nil, errBadRecord
	}
	n := int(binary.BigEndian.Uint32(b))
	if n > len(b)-4 {
		return nil, errBadRecord
	}
	rec := &record{Seq: seq}
	if err := json.Unmarshal(b[4:4+n], rec); err != nil {
		return nil, errBadRecord
	}
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
