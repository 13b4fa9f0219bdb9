package biohook

import (
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/go-json-experiment/json/jsontext"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/biohook/caddy-biohook/vendors"
)

// refuse answers a rejected delivery with its status and {"error":"<code>"},
// logs it once, and forwards nothing. The reason code never carries a secret
// or an expected value.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, rej *vendors.Rejection) error {
	if h.metrics != nil {
		h.metrics.rejection(rej.Code)
	}
	level := zapcore.WarnLevel
	if rej.Status == http.StatusInternalServerError {
		level = zapcore.ErrorLevel // a bug, not a vendor's or an attacker's doing
	}
	if ce := h.logger.Check(level, "delivery refused"); ce != nil {
		ce.Write(
			zap.String("vendor", h.vendorName),
			zap.String("reason", rej.Code),
			zap.Int("status", rej.Status),
			zap.String("remote_addr", r.RemoteAddr),
			zap.String("client_ip", clientIP(r)),
			zap.String("request_id", requestID(r)),
			zap.Error(rej.Err),
		)
	}
	if rej.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfter) // every vendor retries a 503
	}
	body, _ := jsontext.AppendQuote([]byte(`{"error":`), rej.Code)
	body = append(body, '}')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rej.Status)
	_, err := w.Write(body)
	return err
}

// refuseUnread refuses a delivery before its body is read. A sender that
// asked to be told to go on (Expect: 100-continue) has sent no body and will
// send none after a refusal: its HTTP/1 connection is closed after the
// answer, which is what net/http does itself when it can see the request's
// own body. Caddy's body wrapper hides it, and net/http would then wait for
// up to 256 KiB of a body that is not coming before answering. Any other
// refused body is drained by net/http as usual, up to 256 KiB within the
// server's timeouts, and never buffered.
func (h *Handler) refuseUnread(w http.ResponseWriter, r *http.Request, rej *vendors.Rejection) error {
	if r.ProtoMajor == 1 && r.ContentLength != 0 && expectsContinue(r.Header) {
		w.Header().Set("Connection", "close")
	}
	return h.refuse(w, r, rej)
}

// expectsContinue reports whether an Expect field holds 100-continue.
func expectsContinue(h http.Header) bool {
	for _, v := range h["Expect"] {
		for token := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.Trim(token, " \t"), "100-continue") {
				return true
			}
		}
	}
	return false
}

// requestID is Caddy's id for the request, for matching a log line with the
// access log.
func requestID(r *http.Request) string {
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		if id, ok := repl.GetString("http.request.uuid"); ok {
			return id
		}
	}
	return ""
}
