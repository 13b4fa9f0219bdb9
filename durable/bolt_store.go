package durable

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The spool's operations on its file. Each is one transaction; the writes
// are durable when they return.

// storeNew adds rec unless the spool already knows its event (waiting,
// dead-lettered, or delivered within remember). It sets rec.Seq.
func (f *boltFile) storeNew(rec *record) (duplicate bool, err error) {
	value, err := rec.encode()
	if err != nil {
		return false, err
	}
	err = f.update(func(tx *bolt.Tx) error {
		duplicate = false // a group that failed runs this again alone
		ids := tx.Bucket(bucketIDs)
		if ids.Get([]byte(rec.Key)) != nil {
			duplicate = true
			return nil
		}
		events := tx.Bucket(bucketEvents)
		seq, err := events.NextSequence()
		if err != nil {
			return err
		}
		rec.Seq = seq
		if err := events.Put(seqKey(seq), value); err != nil {
			return err
		}
		return ids.Put([]byte(rec.Key), idState(statePending, seq))
	})
	return duplicate, err
}

// load reads a waiting record with its body.
func (f *boltFile) load(seq uint64) (*record, error) {
	var rec *record
	err := f.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketEvents).Get(seqKey(seq))
		if v == nil {
			return errNoRecord
		}
		var err error
		rec, err = decodeRecord(seq, v, true)
		return err
	})
	return rec, err
}

var errNoRecord = errors.New("no such record")

// pending reads every waiting record without its body, oldest first.
func (f *boltFile) pending() ([]*record, error) { return f.list(bucketEvents) }

// deadLetters lists the dead letters without their bodies.
func (f *boltFile) deadLetters() ([]*record, error) { return f.list(bucketDead) }

// list reads every record of a bucket without its body, in seq order.
func (f *boltFile) list(bucket []byte) ([]*record, error) {
	var recs []*record
	err := f.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			// An unreadable record is left where it is and out of the
			// listing: one damaged page must not hide the rest.
			if rec, err := decodeRecord(binary.BigEndian.Uint64(k), v, false); err == nil {
				recs = append(recs, rec)
			}
			return nil
		})
	})
	return recs, err
}

// delivered removes a delivered record and remembers its event, so that a
// late copy from the vendor is answered as a duplicate.
func (f *boltFile) delivered(seq uint64, key string, at time.Time) error {
	return f.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketEvents).Delete(seqKey(seq)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketIDs).Put([]byte(key), idState(stateDelivered, uint64(at.UnixNano()))); err != nil {
			return err
		}
		return tx.Bucket(bucketDone).Put(doneKey(at, key), nil)
	})
}

// rescheduled records a failed attempt. rec is the whole record as the
// attempt loaded it, body included, with its new attempt count, next time
// and last answer: it is written as it is, not read back first.
func (f *boltFile) rescheduled(rec *record) error {
	return f.rewrite(rec, func(tx *bolt.Tx, events *bolt.Bucket, value []byte) error {
		return events.Put(seqKey(rec.Seq), value)
	})
}

// dead moves a record to the dead letters; rec is whole, as for rescheduled.
func (f *boltFile) dead(rec *record) error {
	return f.rewrite(rec, func(tx *bolt.Tx, events *bolt.Bucket, value []byte) error {
		if err := events.Delete(seqKey(rec.Seq)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketDead).Put(seqKey(rec.Seq), value); err != nil {
			return err
		}
		return tx.Bucket(bucketIDs).Put([]byte(rec.Key), idState(stateDead, rec.Seq))
	})
}

// rewrite encodes rec and, in one transaction, hands it to put, if rec is
// still waiting (errNoRecord otherwise).
func (f *boltFile) rewrite(rec *record, put func(tx *bolt.Tx, events *bolt.Bucket, value []byte) error) error {
	value, err := rec.encode()
	if err != nil {
		return err
	}
	return f.update(func(tx *bolt.Tx) error {
		events := tx.Bucket(bucketEvents)
		if events.Get(seqKey(rec.Seq)) == nil {
			return errNoRecord
		}
		return put(tx, events, value)
	})
}

// revive moves the dead letters with the given event keys back to the
// queue as new: no attempts made, max_age counted from now. prepare may
// change a record first (move it to another route), or keep it dead. It
// returns the revived records; keys that are not dead letters are skipped.
func (f *boltFile) revive(keys []string, now time.Time, prepare func(*record) bool) ([]*record, error) {
	var revived []*record
	err := f.update(func(tx *bolt.Tx) error {
		revived = revived[:0]
		ids, dead, events := tx.Bucket(bucketIDs), tx.Bucket(bucketDead), tx.Bucket(bucketEvents)
		for _, key := range keys {
			state, seq, ok := parseIDState(ids.Get([]byte(key)))
			if !ok || state != stateDead {
				continue
			}
			v := dead.Get(seqKey(seq))
			if v == nil {
				continue
			}
			rec, err := decodeRecord(seq, v, true)
			if err != nil {
				return err
			}
			if !prepare(rec) {
				continue
			}
			rec.revive(now)
			value, err := rec.encode()
			if err != nil {
				return err
			}
			if err := dead.Delete(seqKey(seq)); err != nil {
				return err
			}
			// A new seq: the replay joins the queue at the back, behind
			// what arrived since, as a new event would.
			if rec.Seq, err = events.NextSequence(); err != nil {
				return err
			}
			if err := events.Put(seqKey(rec.Seq), value); err != nil {
				return err
			}
			if err := ids.Put([]byte(key), idState(statePending, rec.Seq)); err != nil {
				return err
			}
			rec.Body = nil
			revived = append(revived, rec)
		}
		return nil
	})
	return revived, err
}

// forget drops what is older than its keeping time: delivered events'
// memory before rememberSince, dead letters before deadSince.
func (f *boltFile) forget(rememberSince, deadSince time.Time) error {
	return f.update(func(tx *bolt.Tx) error {
		ids := tx.Bucket(bucketIDs)
		limit := seqKey(uint64(rememberSince.UnixNano()))
		c := tx.Bucket(bucketDone).Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k[:8], limit) < 0; k, _ = c.First() {
			key := k[8:]
			if state, _, ok := parseIDState(ids.Get(key)); ok && state == stateDelivered {
				if err := ids.Delete(key); err != nil {
					return err
				}
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return forgetDead(tx, deadSince)
	})
}

func forgetDead(tx *bolt.Tx, since time.Time) error {
	dead, ids := tx.Bucket(bucketDead), tx.Bucket(bucketIDs)
	var old []*record
	err := dead.ForEach(func(k, v []byte) error {
		rec, err := decodeRecord(binary.BigEndian.Uint64(k), v, false)
		if err == nil && rec.DeadAt.Before(since) {
			old = append(old, rec)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, rec := range old {
		if err := dead.Delete(seqKey(rec.Seq)); err != nil {
			return err
		}
		if err := ids.Delete([]byte(rec.Key)); err != nil {
			return err
		}
	}
	return nil
}
