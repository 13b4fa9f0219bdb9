package biohook

import (
	"net/http"

	"github.com/go-json-experiment/json/jsontext"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/biohook/caddy-biohook/vendors"
)

// refuse answers a rejected delivery with its status and {"error":"<code>"},
// logs it once, and forwards nothing. The reason code never carries a secret
// or an expected value.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, rej *vendors.Rejection) error {
	level := zapcore.WarnLevel
	if rej.Status >= 500 {
		level = zapcore.ErrorLevel
	}
	if ce := h.logger.Check(level, "delivery refused"); ce != nil {
		ce.Write(
			zap.String("vendor", h.vendorName),
			zap.String("reason", rej.Code),
			zap.Int("status", rej.Status),
			zap.String("remote_addr", r.RemoteAddr),
			zap.Error(rej.Err),
		)
	}
	body, _ := jsontext.AppendQuote([]byte(`{"error":`), rej.Code)
	body = append(body, '}')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rej.Status)
	_, err := w.Write(body)
	return err
}
