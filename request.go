package biohook

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/biohook/caddy-biohook/vendors"
)

var (
	rejMethod    = vendors.Reject(http.StatusMethodNotAllowed, "method_not_allowed", errors.New("deliveries are POSTed"))
	rejMediaType = vendors.Reject(http.StatusUnsupportedMediaType, "unsupported_media_type", errors.New("Content-Type is not the vendor's"))
	rejEncoding  = vendors.Reject(http.StatusUnsupportedMediaType, "unsupported_encoding",
		errors.New("Content-Encoding names something other than identity; vendors send bodies unencoded"))
	rejTooLarge   = vendors.Reject(http.StatusRequestEntityTooLarge, "too_large", errors.New("body exceeds max_size"))
	rejUnreadable = vendors.Reject(http.StatusBadRequest, "unreadable_body", errors.New("the body could not be read"))
)

// checkRequest refuses, before the body is read, what no vendor sends.
func (h *Handler) checkRequest(w http.ResponseWriter, r *http.Request) *vendors.Rejection {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return rejMethod
	}
	if !mediaTypeIn(r.Header.Get("Content-Type"), h.mediaTypes) {
		return rejMediaType
	}
	// A signature over compressed bytes would verify, but nothing could read
	// the payload after it; no supported vendor compresses its deliveries.
	if !identityOnly(r.Header["Content-Encoding"]) {
		return rejEncoding
	}
	if r.ContentLength > h.MaxSize {
		return rejTooLarge
	}
	return nil
}

// identityOnly reports whether Content-Encoding fields say the body is not
// encoded: there are none, or each holds nothing but "identity" (in any
// case), once or in a list. Anything else is refused, an empty field and an
// empty list member included: a coding in a second field or after
// "identity," is a coding all the same.
func identityOnly(fields []string) bool {
	for _, f := range fields {
		for coding := range strings.SplitSeq(f, ",") {
			if !strings.EqualFold(strings.Trim(coding, " \t"), "identity") {
				return false
			}
		}
	}
	return true
}

// mediaTypeIn reports whether the Content-Type's media type is one of the
// accepted ones, ignoring case and parameters.
func mediaTypeIn(contentType string, accepted []string) bool {
	// Vendors send the bare type: matched without the parser, which
	// allocates a map for the parameters on every request.
	for _, a := range accepted {
		if strings.EqualFold(contentType, a) {
			return true
		}
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	for _, a := range accepted {
		if mt == a {
			return true
		}
	}
	return false
}

// firstRead is the most readBody allocates before any byte has arrived. A
// declared length is a claim, not bytes: a request that declares max_size
// and sends nothing must not be given max_size.
const firstRead = pooledCap

// readBody reads the whole body once, never more than max bytes, into a
// leased buffer that the caller releases. The buffer starts at the declared
// length when that is small and at firstRead when not, then grows with what
// arrives (see readAll).
func readBody(w http.ResponseWriter, r *http.Request, max int64, pooled bool) (*lease, *vendors.Rejection) {
	size := r.ContentLength
	if size < 0 || size > max {
		size = 0
	}
	// One byte more than the declared length: the read that finds the end
	// of the body must not have to grow the buffer first.
	want := int(size) + 1
	// A body too large for the pool gets a buffer of its own from the
	// start, as it will need one.
	l := newLease(min(want, firstRead), pooled && want <= pooledCap)
	if r.Body == nil || r.Body == http.NoBody {
		return l, nil
	}
	buf, err := readAll(l.buf, http.MaxBytesReader(w, r.Body, max), want)
	l.buf = buf
	if err != nil {
		l.release()
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, rejTooLarge
		}
		return nil, rejUnreadable
	}
	return l, nil
}

// readAll appends everything src holds to buf, growing it only when full,
// and never to more than four times the bytes it holds: a sender that
// declares a length and does not send it gets no more than that for its
// claim. Toward want, the size expected, it grows in steps of want divided
// by a power of four, so that the steps before the last cost a third of it
// together.
func readAll(buf []byte, src io.Reader, want int) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			// Not slices.Grow, whose growth policy would overshoot.
			grown := make([]byte, len(buf), nextCap(len(buf), want))
			copy(grown, buf)
			buf = grown
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// nextCap is the size a full buffer of n bytes grows to: the largest of
// want, want/4, want/16, ... (rounded up) that is at most 4n (or
// bytes.MinRead), which is more than n; or, with nothing more expected,
// twice n.
func nextCap(n, want int) int {
	if want <= n {
		return n + max(n, bytes.MinRead)
	}
	c, most := want, max(4*n, bytes.MinRead)
	for c > most {
		c = (c + 3) / 4
	}
	return c
}

// prepareUpstream swaps the body for out and sets the headers the next
// handler sees. Every length field is set, or the proxy's transport would
// send the old length or keep chunked encoding.
func (h *Handler) prepareUpstream(r *http.Request, out *lease, meta eventMeta) {
	for _, name := range h.strip {
		r.Header.Del(name)
	}
	stripOwned(r.Header)
	r.Body, _ = out.reader() // the handler holds out until next returns
	r.GetBody = out.reader
	r.ContentLength = int64(len(out.buf))
	r.Header.Set("Content-Length", strconv.Itoa(len(out.buf)))
	r.TransferEncoding = nil
	// The delivery's trailers describe the vendor's body, not the event;
	// left in place, reverse_proxy would copy them upstream and send the
	// event chunked.
	r.Trailer = nil
	if h.normalize {
		r.Header.Set("Content-Type", vendors.MediaType)
	}
	// The event's vendor: a generic module's configured name, not "hmac".
	vendor := strings.TrimPrefix(meta.Source, vendors.Source(""))
	r.Header.Set("Biohook-Vendor", vendor)
	r.Header.Set("Biohook-Event-Id", meta.ID)
	addPlaceholders(r, vendor, meta)
}

// stripOwned removes every header the module sets for the app, whoever
// sent it: Biohook-* (Biohook-Vendor, Biohook-Event-Id, Biohook-Attempt,
// Biohook-Duplicate and any to come) and Idempotency-Key, so that what the
// app reads in them is the module's word, never the sender's. Names are
// matched in any case and with "_" or "." for "-", which CGI-style apps
// read as the same name.
func stripOwned(h http.Header) {
	for name := range h {
		if ownedHeader(name) {
			delete(h, name)
		}
	}
}

func ownedHeader(name string) bool {
	const biohook, idempotency, key = "biohook", "idempotency", "key"
	switch {
	case len(name) > len(biohook) && isNameSeparator(name[len(biohook)]):
		return strings.EqualFold(name[:len(biohook)], biohook)
	case len(name) == len(idempotency)+1+len(key) && isNameSeparator(name[len(idempotency)]):
		return strings.EqualFold(name[:len(idempotency)], idempotency) && strings.EqualFold(name[len(idempotency)+1:], key)
	}
	return false
}

func isNameSeparator(c byte) bool { return c == '-' || c == '_' || c == '.' }

// addPlaceholders answers {biohook.vendor}, {biohook.event.id},
// {biohook.event.type} and {biohook.event.subject} for the handlers after
// this one. One lookup function, rather than four values set into the
// replacer's map, which would grow the map on every request.
func addPlaceholders(r *http.Request, vendor string, meta eventMeta) {
	repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if !ok {
		return
	}
	repl.Map(func(key string) (any, bool) {
		switch key {
		case "biohook.vendor":
			return vendor, true
		case "biohook.event.id":
			return meta.ID, true
		case "biohook.event.type":
			return meta.Type, true
		case "biohook.event.subject":
			return meta.Subject, true
		}
		return nil, false
	})
}
