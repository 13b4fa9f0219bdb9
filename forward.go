package biohook

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/dedupe"
	"github.com/biohook/caddy-biohook/durable"
	"github.com/biohook/caddy-biohook/vendors"
)

// The HTTP side of dedupe and durable delivery: what the vendor is answered
// when the event was seen, is in flight, or could not be remembered, and
// how an event is named in a store or a spool.

// forwardOnce hands the delivery to next once per event.
func (h *Handler) forwardOnce(w *answerWriter, r *http.Request, next caddyhttp.Handler, source, id string) error {
	dd := h.Dedupe
	ticket, state, err := dd.Claim(r.Context(), eventKey(dd.Identity(), source, id))
	if err != nil {
		if dd.ForwardOnError() { // availability first: the delivery goes on
			return next.ServeHTTP(w, r)
		}
		return h.refuse(w, r, rejStoreDown)
	}
	switch state {
	case dedupe.Seen:
		return h.answerDuplicate(w, r, id)
	case dedupe.InFlight:
		return h.refuse(w, r, rejInFlight)
	case dedupe.Full:
		// Forgetting a remembered event, or one being forwarded, to make
		// room would let a copy of it through. Whatever on_store_error
		// says: a full store is not an outage.
		return h.refuse(w, r, rejStoreFull)
	}
	err = next.ServeHTTP(w, r)
	ticket.Done(r.Context(), err == nil && w.status >= 200 && w.status < 300)
	return err
}

var (
	rejInFlight = &vendors.Rejection{Status: http.StatusServiceUnavailable, Code: "in_flight",
		Err: errors.New("the same event is being forwarded by another request")}
	rejStoreDown = &vendors.Rejection{Status: http.StatusServiceUnavailable, Code: "dedupe_unavailable",
		Err: errors.New("the dedupe store cannot be reached")}
	rejStoreFull = &vendors.Rejection{Status: http.StatusServiceUnavailable, Code: "dedupe_store_full",
		Err: errors.New("the dedupe store is full of events it must still remember")}
)

// answerDuplicate tells the vendor the event was received, as it expects
// for a success, and forwards nothing.
func (h *Handler) answerDuplicate(w *answerWriter, r *http.Request, id string) error {
	h.metrics.duplicate.Inc()
	if ce := h.logger.Check(zap.InfoLevel, "duplicate delivery"); ce != nil {
		ce.Write(zap.String("vendor", h.vendorName), zap.String("event_id", id),
			zap.String("remote_addr", r.RemoteAddr), zap.String("request_id", requestID(r)))
	}
	w.Header().Set("Biohook-Duplicate", "true")
	answer := vendors.Answer{Status: http.StatusOK, ContentType: "application/json", Body: []byte(`{"duplicate":true}`)}
	if h.acker != nil {
		if a, replace := h.acker.Acknowledge(http.StatusOK, http.Header{}); replace {
			answer = a
		}
	}
	w.replied = true
	writeAnswer(w.ResponseWriter, answer)
	return nil
}

var rejSpoolDown = &vendors.Rejection{Status: http.StatusServiceUnavailable, Code: "spool_unavailable",
	Err: errors.New("the event could not be stored")}

// enqueue stores the verified event and answers the vendor: success once
// the event is on disk, 503 (which every vendor retries) if it could not be
// stored. The next handler sees the event later, from the spool.
func (h *Handler) enqueue(w http.ResponseWriter, r *http.Request, out []byte, meta eventMeta) error {
	ev := durable.Event{Key: eventKey(h.route.Name(), meta.Source, meta.ID), ID: meta.ID, Type: meta.Type, Subject: meta.Subject}
	duplicate, err := h.route.Enqueue(r, out, ev)
	if err != nil {
		if !errors.Is(err, durable.ErrNotStarted) {
			h.logger.Error("storing an event", zap.String("vendor", h.vendorName), zap.String("event_id", meta.ID), zap.Error(err))
		}
		return h.refuse(w, r, rejSpoolDown)
	}
	if duplicate {
		return h.answerDuplicate(newAnswerWriter(w, nil), r, meta.ID)
	}
	return h.answerQueued(w)
}

// answerQueued tells the vendor its delivery was received, as the vendor
// expects a success to look.
func (h *Handler) answerQueued(w http.ResponseWriter) error {
	answer := vendors.Answer{Status: http.StatusOK, ContentType: "application/json", Body: []byte(`{"queued":true}`)}
	if h.acker != nil {
		if a, replace := h.acker.Acknowledge(http.StatusOK, http.Header{}); replace {
			answer = a
		}
	}
	writeAnswer(w, answer)
	return nil
}

// serveRedelivery hands a spooled event to the next handler in place of a
// live delivery, with the placeholders a live one sets, and tells the spool
// what it answered. Nothing answering is a failed attempt (no_upstream).
func (h *Handler) serveRedelivery(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, m *durable.Redelivery) error {
	ev, vendor := m.Prepare(r)
	addPlaceholders(r, vendor, eventMeta{ID: ev.ID, Type: ev.Type, Subject: ev.Subject})
	aw := newAnswerWriter(w, nil)
	err := next.ServeHTTP(aw, r)
	if err == nil && aw.status == 0 {
		h.logNoUpstream(r, ev.ID)
		err = errNoUpstream
	}
	m.Answered(aw.status, err)
	return err
}

// retryAfter is the Retry-After of a 503: long enough for an in-flight
// delivery to finish.
var retryAfter = strconv.Itoa(1)

// eventKey names an event of a route in its store or spool: bounded in size
// whatever the vendor's id, and never the same for two routes, so that one
// route's event is never taken for a copy of another's.
func eventKey(route, source, id string) string {
	var buf [32]byte
	return string(appendEventKey(buf[:0], route, source, id))
}

// appendEventKey appends the event's key to dst. What it hashes is laid
// out on the stack (up to 256 bytes): no allocation on the way.
func appendEventKey(dst []byte, route, source, id string) []byte {
	var buf [256]byte
	b := append(buf[:0], route...)
	b = append(append(b, 0), source...)
	b = append(append(b, 0), id...)
	sum := sha256.Sum256(b)
	return hex.AppendEncode(dst, sum[:16])
}
