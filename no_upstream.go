package biohook

import (
	"errors"
	"net/http"

	"go.uber.org/zap"
)

// A verified delivery that no handler after biohook answered (nothing
// after it in the route, or only handlers that pass every request on) was
// not delivered: Caddy would send the vendor an empty 200 and the event
// would be lost without a trace. It is a failure the vendor retries: 502
// {"error":"no_upstream"}, logged at ERROR; on a durable route, a failed
// attempt with that reason.

var errNoUpstream = errors.New("no_upstream: no handler after biohook answered the event")

// noUpstream answers a delivery that nothing after the handler answered.
func (h *Handler) noUpstream(w http.ResponseWriter, r *http.Request, id string) error {
	h.metrics.rejection("no_upstream")
	h.logNoUpstream(r, id)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadGateway)
	_, err := w.Write([]byte(`{"error":"no_upstream"}`))
	return err
}

func (h *Handler) logNoUpstream(r *http.Request, id string) {
	h.logger.Error("event not delivered: no handler after biohook answered it; put reverse_proxy (or the handler that takes the events) after biohook in this route",
		zap.String("vendor", h.vendorName), zap.String("event_id", id), zap.String("request_id", requestID(r)))
}
