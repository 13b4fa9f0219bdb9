package biohook

import (
	"io"
	"net/http"
	"strconv"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/biohook/caddy-biohook/vendors"
)

// answerWriter stands between the next handler and the vendor. It records
// the status the next handler answered with (for dedupe and metrics) and
// lets a vendor's Acknowledger replace that answer with the one the vendor
// needs (exactly 200, or 200 with a JSON body), dropping the upstream's body.
type answerWriter struct {
	caddyhttp.ResponseWriterWrapper
	acker       vendors.Acknowledger // nil: the upstream's answer goes back as it is
	status      int                  // the next handler's status; 0 until it answers
	wroteHeader bool
	discard     bool
	replied     bool // the handler answered itself (a duplicate): nothing was forwarded
}

// unanswered reports whether the delivery, handed on, got no answer at all.
func (w *answerWriter) unanswered() bool { return w.status == 0 && !w.replied }

func newAnswerWriter(w http.ResponseWriter, a vendors.Acknowledger) *answerWriter {
	return &answerWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, acker: a}
}

// WriteHeader implements http.ResponseWriter.
func (w *answerWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	if status < 200 {
		w.ResponseWriter.WriteHeader(status) // informational: not the answer
		return
	}
	w.wroteHeader, w.status = true, status
	if w.acker == nil {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	answer, replace := w.acker.Acknowledge(status, w.Header())
	if !replace {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.discard = true
	writeAnswer(w.ResponseWriter, answer)
}

// writeAnswer writes a vendor's answer in place of whatever was prepared.
func writeAnswer(w http.ResponseWriter, answer vendors.Answer) {
	h := w.Header()
	h.Del("Content-Encoding")
	h.Del("Transfer-Encoding")
	h.Set("Content-Length", strconv.Itoa(len(answer.Body)))
	if answer.ContentType != "" {
		h.Set("Content-Type", answer.ContentType)
	} else {
		h.Del("Content-Type")
	}
	w.WriteHeader(answer.Status)
	_, _ = w.Write(answer.Body)
}

// Write implements http.ResponseWriter.
func (w *answerWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.discard {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// ReadFrom keeps io.Copy from reaching past the wrapper to the real writer.
func (w *answerWriter) ReadFrom(r io.Reader) (int64, error) {
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
func (w *answerWriter) Flush() {
	if !w.wroteHeader || w.discard {
		return
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Interface guards
var (
	_ http.ResponseWriter = (*answerWriter)(nil)
	_ http.Flusher        = (*answerWriter)(nil)
	_ io.ReaderFrom       = (*answerWriter)(nil)
)
