package durable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The spool file's buckets.
var (
	bucketEvents = []byte("events") // seq -> record waiting for delivery
	bucketDead   = []byte("dead")   // seq -> record given up on
	bucketIDs    = []byte("ids")    // event key -> state: what the spool knows of an event
	bucketDone   = []byte("done")   // delivery time + event key -> nil, to forget delivered events in time order
)

// An event key's state in bucketIDs: one byte, then a sequence number or a
// time.
const (
	statePending   = 'p' // + seq in bucketEvents
	stateDead      = 'x' // + seq in bucketDead
	stateDelivered = 'd' // + unix nanoseconds of delivery
)

var errSpoolClosed = errors.New("the spool is closed")

// boltFile is the spool's file: an embedded bbolt database whose every
// commit is fsync'd. Concurrent writes are grouped into one transaction, so
// throughput is not one fsync per delivery.
type boltFile struct {
	db      *bolt.DB
	commits chan *commit
	mu      sync.RWMutex // held for reading by every write in progress
	closed  bool
	done    chan struct{} // the committer has stopped
}

type commit struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// maxGroup bounds the writes one transaction takes.
const maxGroup = 256

// openBolt opens (creating) the file. Another process holding it fails the
// open within a second instead of waiting on the lock.
func openBolt(path string) (*boltFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("spool directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("spool %s is locked by another process: each Caddy instance needs its own spool file", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening spool %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEvents, bucketDead, bucketIDs, bucketDone} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening spool %s: %w", path, err)
	}
	f := &boltFile{db: db, commits: make(chan *commit, maxGroup), done: make(chan struct{})}
	go f.committer()
	return f, nil
}

// update runs fn in a durable write transaction, grouped with whatever
// other writes are waiting.
func (f *boltFile) update(fn func(*bolt.Tx) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return errSpoolClosed
	}
	c := &commit{fn: fn, done: make(chan error, 1)}
	f.commits <- c
	return <-c.done
}

// committer takes the writes queued while the last commit was syncing and
// commits them in one transaction. A lone write goes at once: grouping
// costs no latency, it only happens under load.
func (f *boltFile) committer() {
	defer close(f.done)
	group := make([]*commit, 0, maxGroup)
	for c := range f.commits {
		group = append(group[:0], c)
	drain:
		for len(group) < maxGroup {
			select {
			case c, ok := <-f.commits:
				if !ok {
					break drain
				}
				group = append(group, c)
			default:
				break drain
			}
		}
		f.commitGroup(group)
	}
}

// commitGroup commits the group at once; if that fails, each write is tried
// alone so that one bad write does not fail the others.
func (f *boltFile) commitGroup(group []*commit) {
	err := f.db.Update(func(tx *bolt.Tx) error {
		for _, c := range group {
			if err := c.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(group) == 1 {
		for _, c := range group {
			c.done <- err
		}
		return
	}
	for _, c := range group {
		c.done <- f.db.Update(c.fn)
	}
}

// view runs fn in a read transaction.
func (f *boltFile) view(fn func(*bolt.Tx) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return errSpoolClosed
	}
	return f.db.View(fn)
}

// close waits for the writes in progress, then closes the file.
func (f *boltFile) close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	close(f.commits)
	f.mu.Unlock()
	<-f.done
	return f.db.Close()
}

func idState(state byte, n uint64) []byte {
	v := make([]byte, 9)
	v[0] = state
	binary.BigEndian.PutUint64(v[1:], n)
	return v
}

func parseIDState(v []byte) (state byte, n uint64, ok bool) {
	if len(v) != 9 {
		return 0, 0, false
	}
	return v[0], binary.BigEndian.Uint64(v[1:]), true
}

func doneKey(at time.Time, key string) []byte {
	k := make([]byte, 8, 8+len(key))
	binary.BigEndian.PutUint64(k, uint64(at.UnixNano()))
	return append(k, key...)
}
