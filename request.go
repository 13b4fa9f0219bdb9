package biohook

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/biohook/caddy-biohook/vendors"
)

var (
	rejMethod    = vendors.Reject(http.StatusMethodNotAllowed, "method_not_allowed", errors.New("deliveries are POSTed"))
	rejMediaType = vendors.Reject(http.StatusUnsupportedMediaType, "unsupported_media_type", errors.New("Content-Type is not the vendor's"))
	rejEncoding  = vendors.Reject(http.StatusUnsupportedMediaType, "unsupported_encoding",
		errors.New("Content-Encoding is set; vendors send bodies unencoded"))
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
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return rejEncoding
	}
	if r.ContentLength > h.MaxSize {
		return rejTooLarge
	}
	return nil
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

// readBody reads the whole body once, never more than max bytes, into a
// leased buffer that the caller releases.
func readBody(w http.ResponseWriter, r *http.Request, max int64, pooled bool) (*lease, *vendors.Rejection) {
	size := r.ContentLength
	if size < 0 || size > max {
		size = 0
	}
	// One byte more than the declared length: the read that finds the end
	// of the body must not have to grow the buffer first.
	l := newLease(int(size)+1, pooled)
	if r.Body == nil || r.Body == http.NoBody {
		return l, nil
	}
	buf, err := readAll(l.buf, http.MaxBytesReader(w, r.Body, max))
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

// readAll appends everything src holds to buf, growing it only when full.
func readAll(buf []byte, src io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(cap(buf), bytes.MinRead))
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

// prepareUpstream swaps the body for out and sets the headers the next
// handler sees. Every length field is set, or the proxy's transport would
// send the old length or keep chunked encoding.
func (h *Handler) prepareUpstream(r *http.Request, out *lease, meta eventMeta) {
	for _, name := range h.strip {
		r.Header.Del(name)
	}
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
