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

// readBody reads the whole body once, never more than max bytes.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, *vendors.Rejection) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	size := r.ContentLength
	if size < 0 || size > max {
		size = 0
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, rejTooLarge
		}
		return nil, rejUnreadable
	}
	return buf.Bytes(), nil
}

// prepareUpstream swaps the body for out and sets the headers the next
// handler sees. Every length field is set, or the proxy's transport would
// send the old length or keep chunked encoding.
func (h *Handler) prepareUpstream(r *http.Request, out []byte, meta eventMeta) {
	for _, name := range h.strip {
		r.Header.Del(name)
	}
	r.Body = io.NopCloser(bytes.NewReader(out))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(out)), nil }
	r.ContentLength = int64(len(out))
	r.Header.Set("Content-Length", strconv.Itoa(len(out)))
	r.TransferEncoding = nil
	if h.normalize {
		r.Header.Set("Content-Type", vendors.MediaType)
	}
	// The event's vendor: a generic module's configured name, not "hmac".
	vendor := strings.TrimPrefix(meta.Source, vendors.Source(""))
	r.Header.Set("Biohook-Vendor", vendor)
	r.Header.Set("Biohook-Event-Id", meta.ID)
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("biohook.vendor", vendor)
		repl.Set("biohook.event.id", meta.ID)
		repl.Set("biohook.event.type", meta.Type)
		repl.Set("biohook.event.subject", meta.Subject)
	}
}
