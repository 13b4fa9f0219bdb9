package biohook

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/vendors"
)

// durableRoute is a durable route's link to its spool and server, set
// when the config starts.
type durableRoute struct {
	name   string                           // the route's name in its spool: vendor[/name]
	spool  atomic.Pointer[spoolRef]         // nil until the config starts
	server atomic.Pointer[caddyhttp.Server] // where spooled events are sent through

	auth     *recordAuth          // signs and verifies the route's records; nil: no key (bolt only)
	redactor vendors.PathRedactor // the vendor's, if it takes a credential in the path
}

// provisionDurable settles the route's spool settings and registers the
// route with the config's biohook app, which opens the spool at start.
func (h *Handler) provisionDurable(ctx caddy.Context) error {
	d := h.Durable
	d.setDefaults()
	if err := d.locate(); err != nil {
		return fmt.Errorf("biohook durable: %w", err)
	}
	h.durable = &durableRoute{name: h.vendorName}
	if d.Name != "" {
		h.durable.name += "/" + d.Name
	}
	auth, err := d.provisionRecordAuth(h.vendor, h.vendorName)
	if err != nil {
		return fmt.Errorf("biohook durable: %w", err)
	}
	h.durable.auth = auth
	h.durable.redactor, _ = h.vendor.(vendors.PathRedactor)
	app, err := biohookApp(ctx)
	if err != nil {
		return fmt.Errorf("biohook durable: %w", err)
	}
	app.register(h)
	return nil
}

var rejSpoolDown = &vendors.Rejection{Status: http.StatusServiceUnavailable, Code: "spool_unavailable",
	Err: errors.New("the event could not be stored")}

// enqueue stores the verified event and answers the vendor: success once
// the event is on disk, 503 (which every vendor retries) if it could not be
// stored. The next handler sees the event later, from the spool.
func (h *Handler) enqueue(w http.ResponseWriter, r *http.Request, out []byte, meta eventMeta) error {
	sp := h.durable.spooler()
	if sp == nil {
		return h.refuse(w, r, rejSpoolDown)
	}
	if h.durable.server.Load() == nil {
		if srv, ok := r.Context().Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server); ok {
			h.durable.server.Store(srv)
			sp.signal()
		}
	}
	rec := h.spoolRecord(r, out, meta)
	duplicate, err := sp.enqueue(rec)
	if err != nil {
		h.logger.Error("storing an event", zap.String("vendor", h.vendorName), zap.String("event_id", meta.ID), zap.Error(err))
		return h.refuse(w, r, rejSpoolDown)
	}
	if duplicate {
		return h.answerDuplicate(newAnswerWriter(w, nil), r, meta.ID)
	}
	h.metrics.durableEnqueued.Inc()
	return h.answerQueued(w)
}

// spoolRecord keeps what a delivery from the spool needs, signed for the
// route: the event, its media type and vendor, and the host, path (as
// received, before any rewrite; no query, a path credential redacted) and
// client address the route's matchers saw. Not the method (a delivery is a
// POST) nor the client's headers.
func (h *Handler) spoolRecord(r *http.Request, out []byte, meta eventMeta) *record {
	now := time.Now()
	u := r.URL
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && orig.URL != nil {
		u = orig.URL
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if h.durable.redactor != nil {
		path = h.durable.redactor.RedactPath(path)
	}
	rec := &record{
		Key: eventKey(h.durable.name, meta.Source, meta.ID), ID: meta.ID, Type: meta.Type, Subject: meta.Subject,
		Route:  h.durable.name,
		Vendor: r.Header.Get("Biohook-Vendor"), ContentType: r.Header.Get("Content-Type"),
		Host: r.Host, Path: path, RemoteAddr: r.RemoteAddr, TLS: r.TLS != nil,
		Enqueued: now, NextAt: now, Body: out,
	}
	if h.Durable.Key != "" {
		if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
			rec.Order = repl.ReplaceAll(h.Durable.Key, "")
		}
	}
	h.durable.auth.sign(rec)
	return rec
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

// ownsRedelivery reports whether a marked request is a delivery of this
// route's spool; any other biohook route treats it as a live delivery, and
// refuses it, since it carries no credentials.
func (h *Handler) ownsRedelivery(m *redelivery) bool {
	return h.Durable != nil && m.route == h.durable.name && m.spool == h.durable.spooler()
}

// spooler is the route's spool; nil before the config starts.
func (d *durableRoute) spooler() spooler {
	if ref := d.spool.Load(); ref != nil {
		return ref.spooler
	}
	return nil
}
