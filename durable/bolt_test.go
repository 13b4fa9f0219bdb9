package durable

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// Closing the file waits for the write in progress, which commits; a write
// after the close is refused, never lost in silence.
func TestBoltCloseWaitsForWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	f, err := openBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	inWrite, release := make(chan struct{}), make(chan struct{})
	written := make(chan error, 1)
	go func() {
		written <- f.update(func(tx *bolt.Tx) error {
			close(inWrite)
			<-release
			return tx.Bucket(bucketEvents).Put(seqKey(1), []byte("kept"))
		})
	}()
	<-inWrite
	closed := make(chan error, 1)
	go func() { closed <- f.close() }()
	select {
	case <-closed:
		t.Fatal("the file closed under a write in progress")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-written; err != nil {
		t.Fatalf("the write in progress failed: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := f.update(func(*bolt.Tx) error { return nil }); !errors.Is(err, errSpoolClosed) {
		t.Errorf("a write after close: %v", err)
	}

	again, err := openBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.close()
	_ = again.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketEvents).Get(seqKey(1)); string(v) != "kept" {
			t.Errorf("the write before the close is not in the file: %q", v)
		}
		return nil
	})
}

// Concurrent writes commit together; one that fails does not fail the
// others it was grouped with.
func TestBoltGroupCommit(t *testing.T) {
	f, err := openBolt(filepath.Join(t.TempDir(), "spool.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- f.update(func(tx *bolt.Tx) error {
				if i == 7 {
					return errors.New("this one fails")
				}
				return tx.Bucket(bucketEvents).Put(seqKey(uint64(i)), []byte("x"))
			})
		}()
	}
	failed := 0
	for range n {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d writes failed, want only the one that returned an error", failed)
	}
	_ = f.view(func(tx *bolt.Tx) error {
		if got := tx.Bucket(bucketEvents).Stats().KeyN; got != n-1 {
			t.Errorf("%d records, want %d", got, n-1)
		}
		return nil
	})
}

// An event whose route no running config has is dead-lettered once older
// than max_age, and a replay can queue it on a route that runs.
func TestBoltRetiresOrphans(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	f, err := openBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	old, recent := sampleRecord(), sampleRecord()
	old.Route, old.Enqueued = "entrust/renamed", time.Now().Add(-DefaultMaxAge-time.Hour)
	recent.Key, recent.Route, recent.Enqueued = testEventKey("entrust/renamed", "s", "recent"), "entrust/renamed", time.Now()
	for _, rec := range []*record{old, recent} {
		if _, err := f.storeNew(rec); err != nil {
			t.Fatal(err)
		}
	}
	f.close()

	s, err := openBoltSpool(path, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destruct()
	s.retireOrphans(time.Now())
	dead, err := s.deadLetters()
	if err != nil || len(dead) != 1 || dead[0].Key != old.Key || !strings.Contains(dead[0].Reason, "entrust/renamed") {
		t.Fatalf("dead letters %+v, %v", dead, err)
	}
	s.mu.Lock()
	waiting := len(s.entries)
	s.mu.Unlock()
	if waiting != 1 {
		t.Fatalf("%d events waiting, want the recent one", waiting)
	}
	if _, err := s.replay(func(*record) bool { return true }, "entrust"); !errors.Is(err, errRouteNotRunning) {
		t.Fatalf("replayed onto a route that does not run: %v", err)
	}
	// A running route, whose server is not known yet: it takes the event
	// but makes no attempt.
	s.attach(&Route{cfg: &Config{Concurrency: 1}, name: "entrust"})
	n, err := s.replay(func(*record) bool { return true }, "entrust")
	if err != nil || n != 1 {
		t.Fatalf("replayed %d, %v", n, err)
	}
	routes := map[string]int{}
	s.mu.Lock()
	for _, e := range s.entries {
		routes[e.route]++
	}
	s.mu.Unlock()
	if routes["entrust"] != 1 || routes["entrust/renamed"] != 1 {
		t.Errorf("waiting by route: %v", routes)
	}
}
