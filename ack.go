package biohook

import (
	"io"
	"net/http"
	"strconv"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/biohook/caddy-biohook/vendors"
)

// ackWriter lets a vendor's Acknowledger replace the upstream's answer with
// the one the vendor needs (exactly 200, or 200 with a JSON body). It decides
// when the upstream's status arrives and, when it replaced the answer, drops
// the upstream's body.
type ackWriter struct {
	*caddyhttp.ResponseWriterWrapper
	acker       vendors.Acknowledger
	wroteHeader bool
	discard     bool
}

func newAckWriter(w http.ResponseWriter, a vendors.Acknowledger) *ackWriter {
	return &ackWriter{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, acker: a}
}

// WriteHeader implements http.ResponseWriter.
func (w *ackWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	if status < 200 {
		w.ResponseWriter.WriteHeader(status) // informational: not the answer
		return
	}
	w.wroteHeader = true
	answer, replace := w.acker.Acknowledge(status, w.Header())
	if !replace {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.discard = true
	h := w.Header()
	h.Del("Content-Encoding")
	h.Del("Transfer-Encoding")
	h.Set("Content-Length", strconv.Itoa(len(answer.Body)))
	if answer.ContentType != "" {
		h.Set("Content-Type", answer.ContentType)
	} else {
		h.Del("Content-Type")
	}
	w.ResponseWriter.WriteHeader(answer.Status)
	_, _ = w.ResponseWriter.Write(answer.Body)
}

// Write implements http.ResponseWriter.
func (w *ackWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.discard {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// ReadFrom keeps io.Copy from reaching past the wrapper to the real writer.
func (w *ackWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.discard {
		return io.Copy(io.Discard, r)
	}
	return w.ResponseWriterWrapper.ReadFrom(r)
}

// Flush implements http.Flusher. Nothing is flushed before the status is
// decided, and a replaced answer is already complete.
func (w *ackWriter) Flush() {
	if !w.wroteHeader || w.discard {
		return
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Interface guards
var (
	_ http.ResponseWriter = (*ackWriter)(nil)
	_ http.Flusher        = (*ackWriter)(nil)
	_ io.ReaderFrom       = (*ackWriter)(nil)
)
