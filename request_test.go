package biohook

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
)

// The bare type matches without the parser; parameters, case and spacing
// still go through it, and anything else is refused.
func TestMediaTypeIn(t *testing.T) {
	accepted := []string{"application/json"}
	cases := map[string]bool{
		"application/json":                 true,
		"Application/JSON":                 true,
		"application/json; charset=utf-8":  true,
		"application/json ; charset=UTF-8": true,
		"":                                 false,
		"text/plain":                       false,
		"application/jsonx":                false,
		"application/json; charset":        false,
		"application/json, text/plain":     false,
	}
	for contentType, want := range cases {
		if got := mediaTypeIn(contentType, accepted); got != want {
			t.Errorf("%q: %v, want %v", contentType, got, want)
		}
	}
}

// trickle is a body that arrives as a network delivers it: at most 16 KiB
// a read.
type trickle struct{ rest []byte }

func (t *trickle) Read(p []byte) (int, error) {
	if len(t.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 16<<10)], t.rest)
	t.rest = t.rest[n:]
	return n, nil
}

// declaring reads body with a request that declares the given length.
func declaring(t *testing.T, declared int64, body []byte, pooled bool) *lease {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/hooks", nil)
	r.Body, r.ContentLength = io.NopCloser(&trickle{body}), declared
	l, rej := readBody(nil, r, 32<<20, pooled)
	if rej != nil {
		t.Fatalf("declared %d, sent %d: %v", declared, len(body), rej)
	}
	if !bytes.Equal(l.buf, body) {
		t.Fatalf("declared %d, sent %d: read %d bytes, not the body", declared, len(body), len(l.buf))
	}
	return l
}

// A body that declares 32 MiB and brings 300 bytes costs a buffer of at most
// firstRead, not one of the declared size, and none from the pool.
func TestReadBodyDeclaredLargeSentSmallAllocatesSmall(t *testing.T) {
	body := bytes.Repeat([]byte("s"), 300)
	var before, after runtime.MemStats
	least := uint64(math.MaxUint64)
	for range 5 { // the least of a few, so that another goroutine's allocations do not count
		runtime.ReadMemStats(&before)
		l := declaring(t, 32<<20, body, true)
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
		if cap(l.buf) > firstRead {
			t.Fatalf("a 300-byte body that declared 32 MiB got a %d-byte buffer", cap(l.buf))
		}
		if l.pooled {
			t.Fatal("a body declared too large for the pool took a pooled buffer")
		}
		l.release()
	}
	if least > 2*firstRead {
		t.Fatalf("reading a 300-byte body that declared 32 MiB allocated %d bytes", least)
	}
}

// As bytes arrive the buffer grows with them, never to more than four times
// what arrived, and a body that arrives whole ends in a buffer of its
// declared size and one byte, whatever it declared.
func TestReadBodyGrowsWithWhatArrives(t *testing.T) {
	for _, c := range []struct {
		declared, sent int
	}{
		{32 << 20, 1 << 20},
		{32 << 20, 3<<20 + 5},
		{4<<20 + 200<<10, 4<<20 + 200<<10},
		{32 << 20, 32 << 20},
		{firstRead, firstRead},
		{firstRead - 1, firstRead - 1},
	} {
		body := bytes.Repeat([]byte("g"), c.sent)
		l := declaring(t, int64(c.declared), body, false)
		if cap(l.buf) > max(4*len(l.buf), firstRead) {
			t.Errorf("declared %d, sent %d: a %d-byte buffer", c.declared, c.sent, cap(l.buf))
		}
		if c.sent == c.declared && cap(l.buf) != c.declared+1 {
			t.Errorf("declared and sent %d: a %d-byte buffer, want %d", c.sent, cap(l.buf), c.declared+1)
		}
		l.release()
	}
}

// nextCap always makes room, never more than four times what arrived
// toward a size expected, and lands on that size once it is within reach.
func TestNextCap(t *testing.T) {
	for _, n := range []int{1, 100, 512, firstRead, 1 << 20, 8 << 20} {
		for _, want := range []int{0, 1, n, n + 1, 3 * n, 4 * n, 4*n + 1, 16*n + 7, 32<<20 + 1} {
			c := nextCap(n, want)
			most := max(4*n, 512)
			switch {
			case c <= n:
				t.Errorf("nextCap(%d, %d) = %d: no room", n, want, c)
			case want > n && c > most:
				t.Errorf("nextCap(%d, %d) = %d: more than %d", n, want, c, most)
			case want > n && want <= most && c != want:
				t.Errorf("nextCap(%d, %d) = %d, want %d", n, want, c, want)
			}
		}
	}
}

// A large body that arrives whole costs its own size and a third more at
// most: the steps toward the declared size, not a doubling each time.
func TestReadBodyWholeLargeBodyAllocatesLittleMore(t *testing.T) {
	size := 4<<20 + 200<<10 // four 1 MiB images and their form
	body := bytes.Repeat([]byte("w"), size)
	var before, after runtime.MemStats
	least := uint64(math.MaxUint64)
	for range 3 {
		runtime.ReadMemStats(&before)
		l := declaring(t, int64(size), body, true)
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
		l.release()
	}
	if limit := uint64(size) * 3 / 2; least > limit {
		t.Fatalf("reading a %d-byte body allocated %d bytes, want at most %d", size, least, limit)
	}
}

// A small body still takes a pooled buffer of its declared size and one
// byte, and never grows it; a body of unknown length starts small.
func TestReadBodySmallDeclaredPooled(t *testing.T) {
	body := bytes.Repeat([]byte("p"), 1000)
	l := declaring(t, int64(len(body)), body, true)
	if !l.pooled || cap(l.buf) < len(body)+1 || cap(l.buf) > pooledCap {
		t.Fatalf("pooled %v, cap %d", l.pooled, cap(l.buf))
	}
	l.release()
	l = declaring(t, -1, body, false)
	if cap(l.buf) > 4*len(body) {
		t.Fatalf("a 1000-byte chunked body got a %d-byte buffer", cap(l.buf))
	}
	l.release()
}

// BenchmarkReadBody reads a body of each size as the handler does, with its
// length declared: a JSON delivery (pooled) and one with four 1 MiB images.
//
//	go test -run '^$' -bench ReadBody -benchmem .
func BenchmarkReadBody(b *testing.B) {
	for _, size := range []int{2 << 10, 4<<20 + 200<<10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			body := bytes.Repeat([]byte("x"), size)
			src := bytes.NewReader(body)
			r := httptest.NewRequest(http.MethodPost, "/hooks", nil)
			r.Body, r.ContentLength = io.NopCloser(src), int64(size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				src.Reset(body)
				l, rej := readBody(nil, r, 32<<20, true)
				if rej != nil || len(l.buf) != size {
					b.Fatal(rej)
				}
				l.release()
			}
		})
	}
}
