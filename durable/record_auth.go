package durable

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"

	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/vendors"
)

// A spool record is authenticated with HMAC-SHA256, so that whoever can
// write to the spool (Redis above all: it is shared, and reached over the
// network) cannot make a route deliver anything it did not take, nor move
// an event to another route or another key. Redis is trusted to keep
// events (availability), not to keep them unchanged (integrity): the
// delivery state (attempts, next time, dead letters) is not authenticated,
// and at worst an event is delayed or dead-lettered.

// recordKeyInfo is the HKDF label of record keys: a key derived from a
// vendor secret is no use for anything the vendor secret does.
const recordKeyInfo = "biohook durable spool record v2"

// reasonUnauthenticated is the dead-letter reason of a record whose MAC does
// not verify under its route's keys.
const reasonUnauthenticated = "record_unauthenticated"

// minRecordKey is the shortest record_key accepted.
const minRecordKey = 16

// recordAuth signs and verifies a route's records: the first key signs,
// each one verifies.
type recordAuth struct {
	keys []*sync.Pool // of *recordMAC, one pool per key
}

// recordMAC is a keyed HMAC with room for its input's framing and its sum,
// reused so that a MAC allocates nothing.
type recordMAC struct {
	h     hash.Hash
	frame []byte
	sum   [sha256.Size]byte
}

func newRecordAuth(secrets [][]byte) (*recordAuth, error) {
	a := &recordAuth{}
	for _, s := range secrets {
		key, err := hkdf.Key(sha256.New, s, nil, recordKeyInfo, sha256.Size)
		if err != nil {
			return nil, err
		}
		a.keys = append(a.keys, &sync.Pool{New: func() any { return &recordMAC{h: hmac.New(sha256.New, key)} }})
	}
	return a, nil
}

// provisionRecordAuth settles the route's record keys: record_key, or else
// the vendor's shared secrets (keyMaterial, nil if it has none). A route
// with neither has none; a Redis spool then refuses to start.
func (c *Config) provisionRecordAuth(keyMaterial func() [][]byte, vendor string) (*recordAuth, error) {
	var secrets [][]byte
	if len(c.RecordKeys) > 0 {
		keys, err := vendors.ResolveSecrets("durable record_key", c.RecordKeys)
		if err != nil {
			return nil, err
		}
		for i, k := range keys {
			if len(k.Key()) < minRecordKey {
				return nil, fmt.Errorf("durable record_key #%d is shorter than %d bytes", i+1, minRecordKey)
			}
			secrets = append(secrets, k.Key())
		}
	} else if keyMaterial != nil {
		secrets = keyMaterial()
	}
	if len(secrets) == 0 {
		if c.Spool == "redis" {
			return nil, errors.New("spool redis needs a record_key: vendor " + vendor +
				" has no shared secret to derive the key that authenticates the spool's records from; set `record_key {env.X}` in the durable block")
		}
		return nil, nil
	}
	return newRecordAuth(secrets)
}

// sign sets rec's MAC under the first key; with no keys (a bolt spool
// only), rec has none.
func (a *recordAuth) sign(rec *record) {
	if a == nil {
		rec.MAC = nil
		return
	}
	m := a.keys[0].Get().(*recordMAC)
	rec.MAC = append([]byte(nil), m.compute(rec)...)
	a.keys[0].Put(m)
}

// verify reports whether rec's MAC is one of the keys'. Every key is
// tried, and compared in constant time.
func (a *recordAuth) verify(rec *record) bool {
	if a == nil || len(rec.MAC) != sha256.Size {
		return false
	}
	ok := false
	for _, pool := range a.keys {
		m := pool.Get().(*recordMAC)
		if hmac.Equal(m.compute(rec), rec.MAC) {
			ok = true
		}
		pool.Put(m)
	}
	return ok
}

// compute is the MAC of rec: every field that says what is delivered, and
// where, each with its length, then the body.
func (m *recordMAC) compute(rec *record) []byte {
	f := append(m.frame[:0], recordMagic[:]...)
	for _, s := range [...]string{rec.Route, rec.Key, rec.ID, rec.Type, rec.Subject, rec.Order,
		rec.Vendor, rec.ContentType, rec.Host, rec.Path, rec.RemoteAddr} {
		f = binary.BigEndian.AppendUint32(f, uint32(len(s)))
		f = append(f, s...)
	}
	tls := byte(0)
	if rec.TLS {
		tls = 1
	}
	f = append(f, tls)
	f = binary.BigEndian.AppendUint64(f, uint64(len(rec.Body)))
	m.frame = f
	m.h.Reset()
	m.h.Write(f)
	m.h.Write(rec.Body)
	return m.h.Sum(m.sum[:0])
}

// authentic reports whether rec may be delivered by the route. A record
// without a MAC is delivered from a bolt file only (local is true): one
// written before records were signed, or by a route with no key.
func (rt *Route) authentic(rec *record, local bool) bool {
	if len(rec.MAC) == 0 {
		return local
	}
	return rt.auth.verify(rec)
}

// move puts a dead letter on this route, for a replay onto another route: a
// record that authenticates under this route's keys, as the route it names,
// is signed again for this one.
func (rt *Route) move(rec *record, local bool) bool {
	if !rt.authentic(rec, local) {
		return false
	}
	rec.Route = rt.name
	if len(rec.MAC) == 0 {
		rt.adopt(rec)
	} else {
		rt.auth.sign(rec)
	}
	return true
}

// moveLogged is move, and a warning when the record stays where it is.
func (rt *Route) moveLogged(rec *record, local bool, logger *zap.Logger) bool {
	if rt.move(rec, local) {
		return true
	}
	logger.Warn("dead letter not moved: its record does not authenticate under the route's keys",
		zap.String("key", rec.Key), zap.String("route", rt.name))
	return false
}

// adopt makes a record without a MAC, from a bolt file, one of this route's
// own: its path credential redacted (an earlier format kept it), then
// signed, if the route has a key.
func (rt *Route) adopt(rec *record) {
	if rt.redact != nil {
		rec.Path = rt.redact(rec.Path)
	}
	rt.auth.sign(rec)
}
