package biohook

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
)

// A buffer is not reused while a reader of it is open, however many new
// leases are taken meanwhile, and a closed reader never reads again.
func TestLeaseOutlivesHandlerWhileReaderOpen(t *testing.T) {
	want := bytes.Repeat([]byte("first delivery "), 100)
	l := newLease(len(want), true)
	l.buf = append(l.buf, want...)
	rd, err := l.reader()
	if err != nil {
		t.Fatal(err)
	}
	l.release() // the handler returns; the transport is still sending
	for i := 0; i < 100; i++ {
		other := newLease(len(want), true)
		other.buf = append(other.buf, bytes.Repeat([]byte("x"), len(want))...)
		other.release()
	}
	got, err := io.ReadAll(rd)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("reader read %d bytes (%v), not the delivery it was given", len(got), err)
	}
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := rd.Read(make([]byte, 8)); n != 0 || !errors.Is(err, errBodyReleased) {
		t.Fatalf("read after close: %d, %v", n, err)
	}
	if _, err := l.reader(); !errors.Is(err, errBodyReleased) {
		t.Fatalf("a new reader of a released lease: %v", err)
	}
	if l.refs.Load() != 0 {
		t.Fatalf("refs = %d after every holder let go", l.refs.Load())
	}
}

// Closing twice releases once: the second close must not hand the buffer
// back while the handler still holds it.
func TestLeaseDoubleClose(t *testing.T) {
	l := newLease(16, true)
	rd, _ := l.reader()
	_ = rd.Close()
	_ = rd.Close()
	if l.refs.Load() != 1 {
		t.Fatalf("refs = %d, want the handler's 1", l.refs.Load())
	}
	l.release()
}

// A transport may close the body while another goroutine reads it.
func TestLeaseReadRacesClose(t *testing.T) {
	for i := 0; i < 200; i++ {
		l := newLease(4096, true)
		l.buf = append(l.buf, bytes.Repeat([]byte("y"), 4096)...)
		rd, _ := l.reader()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _, _ = io.Copy(io.Discard, rd) }()
		go func() { defer wg.Done(); _ = rd.Close() }()
		l.release()
		wg.Wait()
		if l.refs.Load() != 0 {
			t.Fatalf("refs = %d", l.refs.Load())
		}
	}
}

// Buffers larger than pooledCap and those of a durable route are never
// handed to the pool.
func TestLeaseNotPooled(t *testing.T) {
	for _, l := range []*lease{newLease(pooledCap+1, true), newLease(10, false)} {
		if l.pooled || l.box != nil {
			t.Fatalf("lease of cap %d is pooled", cap(l.buf))
		}
		l.release()
	}
	l := newLease(10, true)
	l.buf = append(l.buf, make([]byte, pooledCap+1)...) // grew past the cap
	box := l.box
	l.release()
	if *box != nil {
		t.Fatal("a buffer grown past pooledCap went back to the pool")
	}
}
