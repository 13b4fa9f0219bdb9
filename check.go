package biohook

import (
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/biohook/caddy-biohook/vendors"
)

// Check runs the route's checks on one captured delivery, offline, in the
// order and through the steps ServeHTTP takes: what no vendor sends, what
// the headers prove, the size, then the vendor's Verify and, unless
// normalize is off, Normalize, with time windows judged as of at. It
// forwards, stores and counts nothing. The client address is not checked (a
// capture does not show it), nor are the vendor's own endpoints.
//
// It returns the body the route would hand on (the event, or the body as
// received with normalize off), or the *vendors.Rejection the vendor would
// get. `caddy biohook verify` calls it on the handler it loads.
func (h *Handler) Check(r *http.Request, body []byte, at time.Time) ([]byte, error) {
	if rej := h.checkRequest(httptest.NewRecorder(), r); rej != nil {
		return nil, rej
	}
	d := &vendors.Delivery{Request: r, Received: at}
	if err := h.verifyHeaders(d); err != nil {
		return nil, vendors.AsRejection(err)
	}
	if int64(len(body)) > h.MaxSize {
		return nil, rejTooLarge
	}
	in := newLease(0, false)
	in.buf, d.Body = body, body
	out, _, err := h.process(d, in, false)
	in.release()
	if err != nil {
		return nil, vendors.AsRejection(err)
	}
	// Not pooled: the buffer is never reused, and stays the caller's.
	event := out.buf
	out.release()
	return event, nil
}
