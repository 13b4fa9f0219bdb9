package biohook

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// pooledCap is the largest buffer kept for reuse. A JSON delivery and its
// event fit many times over; a delivery carrying images gets buffers of its
// own, left to the garbage collector, so that a burst of them does not
// leave megabytes parked in the pool.
const pooledCap = 64 << 10

// minPooled is the smallest buffer the pool hands out, so that buffers grow
// to the common size once rather than on every new small delivery.
const minPooled = 4 << 10

var bufferPool sync.Pool // of *[]byte

// A lease is a buffer shared by the handler and the body readers it hands to
// the next handler: the raw body, or the event. Each holds a reference; the
// buffer goes back to the pool when the last lets go, and never while a
// reader could still read it, because a buffer reused too early would send
// one delivery's bytes in another's request. A reader the next handler
// never closes only keeps the buffer out of the pool.
type lease struct {
	buf    []byte
	box    *[]byte // buf's pool entry; nil for a buffer the pool must not get
	refs   atomic.Int32
	pooled bool
}

// newLease returns a lease, held once by the caller, on an empty buffer of
// at least size bytes. pooled false makes a buffer that is never reused:
// for events a durable spool keeps after the request ends.
func newLease(size int, pooled bool) *lease {
	l := &lease{pooled: pooled && size <= pooledCap}
	l.refs.Store(1)
	if !l.pooled {
		l.buf = make([]byte, 0, size)
		return l
	}
	if box, ok := bufferPool.Get().(*[]byte); ok && cap(*box) >= size {
		l.box, l.buf = box, (*box)[:0]
		*box = nil // the box holds a buffer only while in the pool
		return l
	}
	l.box, l.buf = new([]byte), make([]byte, 0, max(size, minPooled))
	return l
}

// retain adds a reference unless every holder has already let go.
func (l *lease) retain() bool {
	for {
		n := l.refs.Load()
		if n <= 0 {
			return false
		}
		if l.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release drops one reference; the last returns the buffer to the pool.
func (l *lease) release() {
	if l.refs.Add(-1) != 0 || !l.pooled || cap(l.buf) > pooledCap {
		return
	}
	*l.box = l.buf[:0]
	l.buf = nil
	bufferPool.Put(l.box)
}

var errBodyReleased = errors.New("the event's body is no longer available")

// reader returns a new reader of the buffer, holding a reference until it is
// closed. It is the request's GetBody, for a transport that sends the body
// again.
func (l *lease) reader() (io.ReadCloser, error) {
	if !l.retain() {
		return nil, errBodyReleased
	}
	lr := &leaseReader{lease: l}
	lr.rd.Reset(l.buf)
	return lr, nil
}

// leaseReader reads a lease's buffer until it is closed. A transport may
// close a request body from one goroutine while another reads it, so both
// take the lock: no read can touch the buffer after its reference is gone.
type leaseReader struct {
	mu     sync.Mutex
	lease  *lease
	rd     bytes.Reader
	closed bool
}

// Read implements io.Reader.
func (lr *leaseReader) Read(p []byte) (int, error) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if lr.closed {
		return 0, errBodyReleased
	}
	return lr.rd.Read(p)
}

// Close implements io.Closer; the first call lets go of the buffer.
func (lr *leaseReader) Close() error {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if !lr.closed {
		lr.closed = true
		lr.lease.release()
	}
	return nil
}
